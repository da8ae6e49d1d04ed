meta:
  id: batch
  title: Batch of inner packets
  endian: be
  imports: [batch_entry]
doc: |
  Plaintext when BATCH is set (after decompression when COMPRESSED is also set): a count and that many
  length-prefixed packets, consuming the plaintext exactly.
seq:
  - id: count
    type: u2
    doc: Number of packets, at least 1.
    -oxt-derive: entries.size
    valid:
      min: 1
  - id: entries
    type: batch_entry
    repeat: expr
    repeat-expr: count
    doc: The packets, in order.
