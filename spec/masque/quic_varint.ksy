meta:
  id: quic_varint
  title: QUIC variable-length integer
  bit-endian: be
  -oxt-primitive: quic_varint
doc: |
  RFC 9000 §16: the two high bits of the first byte give the length (1, 2, 4 or 8 bytes), the remaining
  bits the value, big-endian. Decoders accept non-minimal encodings (RFC 9297 §1.1); encoders use the
  minimal one unless asked for a given length. The codecs treat this as a primitive integer type.
seq:
  - id: prefix
    type: b2
    doc: Length code; the encoding is 1 << prefix bytes long.
  - id: low
    doc: The value, in 6, 14, 30 or 62 bits.
    type:
      switch-on: prefix
      cases:
        0: b6
        1: b14
        2: b30
        3: b62
instances:
  value:
    value: low
    doc: The integer value.
  len:
    value: '1 << prefix'
    doc: Encoded length in bytes.
