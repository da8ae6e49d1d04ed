meta:
  id: batch_entry
  title: One packet of a batch
  endian: be
doc: A length-prefixed inner IP packet.
seq:
  - id: length
    type: u2
    doc: Length of the packet, at least 1.
    -oxt-derive: packet.size
    valid:
      min: 1
  - id: packet
    size: length
    doc: The inner IP packet.
