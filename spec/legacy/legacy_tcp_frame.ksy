meta:
  id: legacy_tcp_frame
  title: Legacy TCP frame
  endian: be
doc: 'TCP port 51821 (§6.2): u16 **big-endian** length ‖ V1 packet; the server closes on length > 9216.'
seq:
  - id: frame_length
    type: u2
    doc: Length of the packet, 1 … 9216 (0 gives "Packet too short"), big-endian.
    -oxt-derive: packet.size
    valid:
      min: 1
      max: 9216
  - id: packet
    size: frame_length
    doc: One legacy V1 packet.
