meta:
  id: tcp_frame
  title: TCP stream frame
  endian: be
doc: On TCP port 51821 both directions carry a sequence of frames, each one OxTunnel datagram.
seq:
  - id: frame_length
    type: u2
    doc: Length of the datagram that follows, 9 … 65535.
    -oxt-derive: datagram.size
    valid:
      min: 9
  - id: datagram
    size: frame_length
    doc: One OxTunnel datagram (header included).
