meta:
  id: header
  title: OxTunnel v3 packet header
  endian: be
doc: |
  The 9-byte header that starts every OxTunnel v3 datagram (spec/README.md §1). `length` counts the
  bytes after the header and must equal the datagram length minus 9; a receiver checks that against the
  datagram (the datagram structures below check it by construction).
seq:
  - id: magic
    contents: [0x4f, 0x58]
    doc: Protocol magic "OX" (0x4F58).
  - id: flags
    type: u1
    doc: |
      Flag bits: 0x01 ENCRYPTED, 0x02 COMPRESSED, 0x04 BATCH, 0x08 CONTROL, 0x10 IPV6. Bits 0xE0 are
      reserved (sent as 0, a packet with one set is dropped). CONTROL appears only alone (handshake
      message) or with ENCRYPTED (authenticated control message); BATCH and IPV6 never together.
    valid:
      expr: '(_ & 0xe0) == 0 and (_ & 0x14) != 0x14 and ((_ & 0x08) == 0 or _ == 0x08 or _ == 0x09)'
  - id: seq
    type: u4
    doc: 0 in handshake messages; in envelopes the low 32 bits of the envelope counter.
  - id: length
    type: u2
    doc: Bytes after the header (= datagram length − 9). At least 28 (the smallest envelope).
    valid:
      min: 28
      max: 65526
