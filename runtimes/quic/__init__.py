"""QUIC on UDP 51822: OxTunnel datagrams in DATAGRAM frames (ALPN `oxtunnel/3`); MASQUE shares the port."""
