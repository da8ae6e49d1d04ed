meta:
  id: legacy_batch_entry
  title: Legacy batch entry
  endian: le
doc: One length-prefixed packet of a legacy batch (§5.5).
seq:
  - id: length
    type: u2
    doc: Packet length, little-endian.
    -oxt-derive: packet.size
  - id: packet
    size: length
    doc: The inner IP packet.
