meta:
  id: legacy_compressed
  title: Legacy "OC" compression envelope
  endian: le
doc: The preferred compressed form (§5.1); for method 1 the data is a legacy_lz4_block.
seq:
  - id: magic
    contents: [0x4f, 0x43]
    doc: '"OC".'
  - id: method
    type: u1
    enum: compression_method
    doc: 0 None, 1 Lz4, 2 Rohc (custom, not RFC 3095), 3 RohcLz4.
    valid:
      any-of:
        - compression_method::none
        - compression_method::lz4
        - compression_method::rohc
        - compression_method::rohc_lz4
  - id: data
    size-eos: true
    doc: The compressed bytes.
enums:
  compression_method:
    0: none
    1: lz4
    2: rohc
    3: rohc_lz4
