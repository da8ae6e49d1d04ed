meta:
  id: capsule
  title: HTTP capsule
  endian: be
  imports: [quic_varint]
doc: |
  RFC 9297 §3.2: type, length and value. Unknown types (including GREASE 0x29·N+0x17) are skipped by a
  receiver. ADDRESS_ASSIGN, ADDRESS_REQUEST and ROUTE_ADVERTISEMENT values are decoded by their own
  structures; DATAGRAM capsules by datagram_capsule.
seq:
  - id: capsule_type
    type: quic_varint
    doc: Capsule type (0x00 DATAGRAM, 0x01 ADDRESS_ASSIGN, 0x02 ADDRESS_REQUEST, 0x03 ROUTE_ADVERTISEMENT, …).
  - id: length
    type: quic_varint
    doc: Length of the value in bytes.
    -oxt-derive: value.size
  - id: value
    size: length.value
    doc: Capsule value.
