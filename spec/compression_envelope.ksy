meta:
  id: compression_envelope
  title: Compression envelope
  endian: be
doc: |
  Plaintext when COMPRESSED is set: the decompressed length and an LZ4 block (block format, no frame).
  A receiver never decompresses to more than original_length, and refuses an original_length above
  what the session's MTU (or batch) allows.
seq:
  - id: original_length
    type: u2
    doc: Exact length of the decompressed data, at least 1.
    valid:
      min: 1
  - id: block
    size-eos: true
    doc: Raw LZ4 block.
