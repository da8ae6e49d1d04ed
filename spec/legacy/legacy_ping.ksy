meta:
  id: legacy_ping
  title: Legacy PING datagram
  endian: le
doc: '"OXPI" and arbitrary bytes (§1.3); answered before any rate limit or parsing.'
seq:
  - id: magic
    contents: [0x4f, 0x58, 0x50, 0x49]
    doc: '"OXPI".'
  - id: payload
    size-eos: true
    doc: Arbitrary bytes, echoed in the PONG.
