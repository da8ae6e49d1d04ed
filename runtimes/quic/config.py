"""Tunables of the QUIC transport (port 51822) shared by the OxTunnel datagram path and the MASQUE proxy."""

from __future__ import annotations

from dataclasses import dataclass, field

from runtimes.wire import PORT_QUIC

# Largest QUIC DATAGRAM frame we accept: "any size that fits a packet" (RFC 9221 §3, requirement 7).
MAX_DATAGRAM_FRAME_SIZE = 65535
# Worst-case 1-RTT packet overhead around a DATAGRAM frame's payload, beyond the peer's connection ID:
# 1 short-header byte + 4 packet-number bytes + 16 AEAD tag + 1 frame type + 2 length varint.
_PACKET_OVERHEAD = 1 + 4 + 16 + 1 + 2


def udp_payload_for(path_mtu: int, ipv6: bool) -> int:
    """The QUIC packet size (UDP payload) that fits a path MTU."""
    return path_mtu - (40 if ipv6 else 20) - 8


def datagram_payload_limit(max_datagram_size: int, peer_cid_length: int, peer_max_frame: int | None) -> int:
    """Largest DATAGRAM payload that fits one packet and the peer's max_datagram_frame_size (whole frame,
    type + length + payload, as RFC 9221 §3 counts it: requirement 2). 0 when the peer advertised none."""
    if not peer_max_frame:
        return 0
    fits_packet = max_datagram_size - peer_cid_length - _PACKET_OVERHEAD
    # whole frame = 1 type byte + varint(len) + len; varint is 2 bytes below 16384, 4 above
    fits_frame = peer_max_frame - 1 - (2 if peer_max_frame - 3 < 16384 else 4)
    return max(0, min(fits_packet, fits_frame))


@dataclass(frozen=True)
class QuicConfig:
    """QUIC endpoint settings (server and client)."""

    host: str = "::"
    """Server: UDP address to listen on ('::' is dual-stack)."""
    port: int = PORT_QUIC
    """Server: UDP port (OxTunnel ALPN and MASQUE `h3` share it); client: the server's port."""
    path_mtu: int = 1500
    """Path MTU assumed for the outer packets; the QUIC packet size is derived from it per address family."""
    idle_timeout: float = 60.0
    """QUIC idle timeout (seconds); the OxTunnel keepalive keeps an active session well inside it."""
    handshake_timeout: float = 5.0
    """Client: seconds allowed for the QUIC + TLS handshake before the transport counts as failed."""
    max_connections: int = 1024
    """Server: concurrent QUIC connections; new ones beyond it are refused (CONNECTION_REFUSED)."""
    max_connections_per_ip: int = 16
    """Server: concurrent QUIC connections from one source IP."""
    max_stream_data: int = 256 * 1024
    """Per-stream flow-control window (bytes); bounds what one peer can make us buffer per stream."""
    max_data: int = 1024 * 1024
    """Per-connection flow-control window (bytes)."""
    send_queue_limit: int = 1024
    """Datagrams queued per connection before new ones are dropped (never blocks the loop)."""
    congestion_control: str = "cubic"
    """aioquic congestion controller: 'reno' or 'cubic'."""
    state_dir: str = "/var/lib/oxtunnel"
    """Server: where `quic-cert.pem`/`quic-key.pem` are created on first start."""
    certificate: str | None = None
    """Server: an operator-provided certificate (PEM) instead of the self-signed one."""
    private_key: str | None = None
    """Server: the private key (PEM) of `certificate`."""
    cert_names: list[str] = field(default_factory=lambda: ["oxtunnel"])
    """Server: DNS names / IP addresses put in the self-signed certificate's subjectAltName."""
    secrets_log: str | None = None
    """Write TLS secrets (NSS key log format) here, for Wireshark in the lab; never in production."""

    def __post_init__(self) -> None:
        if not 0 < self.port < 65536:
            raise ValueError(f"quic.port must be 1..65535, got {self.port!r}")
        if not 1280 <= self.path_mtu <= 65535:
            raise ValueError(f"quic.path_mtu must be 1280..65535, got {self.path_mtu!r}")
        for name in ("idle_timeout", "handshake_timeout"):
            if getattr(self, name) <= 0:
                raise ValueError(f"quic.{name} must be > 0, got {getattr(self, name)!r}")
        for name in ("max_connections", "max_connections_per_ip", "send_queue_limit"):
            if getattr(self, name) < 1:
                raise ValueError(f"quic.{name} must be >= 1, got {getattr(self, name)!r}")
        if self.congestion_control not in ("reno", "cubic"):
            raise ValueError(
                f"quic.congestion_control must be 'reno' or 'cubic', got {self.congestion_control!r}"
            )
        if (self.certificate is None) != (self.private_key is None):
            raise ValueError("quic.certificate and quic.private_key must be set together")


# Per-datagram overheads on the way to the worst-case fallback transport (MASQUE CONNECT-IP over QUIC
# with IPv6 outer packets and 20-byte connection IDs): QUIC short header 1 + CID 20 + packet number 4 +
# AEAD tag 16 + DATAGRAM frame type 1 + length 2; HTTP datagram Quarter Stream ID 2 + Context ID 1; the
# IPv4 + UDP headers our client wraps each OxTunnel datagram in; the OxTunnel envelope 9 + 4 + 8 + 16.
_QUIC_WORST = 1 + 20 + 4 + 16 + 1 + 2
_MASQUE_WRAP = 2 + 1 + 20 + 8
_OXTUNNEL_ENVELOPE = 9 + 4 + 8 + 16


def tunnel_mtu_for(path_mtu: int) -> int:
    """The largest inner MTU whose packets fit every transport (UDP, QUIC, MASQUE, TCP) on a path of
    `path_mtu`, so that a transport switch never strands an established connection's segment size."""
    return udp_payload_for(path_mtu, ipv6=True) - _QUIC_WORST - _MASQUE_WRAP - _OXTUNNEL_ENVELOPE
