meta:
  id: datagram_capsule
  title: DATAGRAM capsule carrying a proxied payload
  endian: be
  imports: [quic_varint]
doc: |
  RFC 9297 §3.5 DATAGRAM capsule (type 0x00) whose HTTP Datagram Payload is a MASQUE context ID and
  payload (RFC 9298 §5, RFC 9484 §6): the in-stream form of an http_datagram.
seq:
  - id: capsule_type
    type: quic_varint
    doc: DATAGRAM (0x00).
    valid:
      expr: _.value == 0
  - id: length
    type: quic_varint
    doc: Length of the value = encoded context_id + payload.
    -oxt-derive: 'context_id.len + payload.size'
  - id: context_id
    type: quic_varint
    doc: Context ID (0 = a full IP packet / UDP payload; even = client-allocated, odd = proxy-allocated).
  - id: payload
    size: length.value - context_id.len
    doc: The proxied IP packet or UDP payload.
