meta:
  id: legacy_lz4_block
  title: Legacy LZ4 framing
  endian: le
doc: |
  u32 LE original size ‖ raw LZ4 block (§5.2; block format, not frame format). The Rust decoder
  allocates original_size before any check; a receiver must bound it (9216).
seq:
  - id: original_size
    type: u4
    doc: Decompressed size, little-endian.
  - id: block
    size-eos: true
    doc: Raw LZ4 block.
