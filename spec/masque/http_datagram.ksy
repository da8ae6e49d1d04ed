meta:
  id: http_datagram
  title: HTTP/3 datagram (QUIC DATAGRAM frame payload)
  endian: be
  imports: [quic_varint]
doc: |
  RFC 9297 §2.1 with the MASQUE payload of RFC 9298 §5 / RFC 9484 §6: quarter stream ID, context ID,
  payload.
seq:
  - id: quarter_stream_id
    type: quic_varint
    doc: The request stream ID divided by 4; above 2^60 − 1 is H3_DATAGRAM_ERROR.
    valid:
      expr: _.value <= 1152921504606846975
  - id: context_id
    type: quic_varint
    doc: Context ID (0 = a full IP packet / UDP payload).
  - id: payload
    size-eos: true
    doc: The proxied IP packet or UDP payload.
