meta:
  id: legacy_pong
  title: Legacy PONG datagram
  endian: le
doc: '"OXPO" and the PING''s trailing bytes, same length (§1.3).'
seq:
  - id: magic
    contents: [0x4f, 0x58, 0x50, 0x4f]
    doc: '"OXPO".'
  - id: payload
    size-eos: true
    doc: The bytes that followed "OXPI" in the PING.
