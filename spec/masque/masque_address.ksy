meta:
  id: masque_address
  title: Assigned or requested address (CONNECT-IP)
  endian: be
  imports: [quic_varint]
doc: |
  One entry of ADDRESS_ASSIGN ("Assigned Address", RFC 9484 §4.7.1) or ADDRESS_REQUEST ("Requested
  Address", §4.7.2); both have this layout.
seq:
  - id: request_id
    type: quic_varint
    doc: Request ID (ADDRESS_REQUEST non-zero; ADDRESS_ASSIGN the matching request's ID or 0 if unsolicited).
  - id: ip_version
    type: u1
    doc: 4 or 6.
    valid:
      any-of: [4, 6]
  - id: ip_address
    size: 'ip_version == 4 ? 4 : 16'
    doc: The address (all zero in a request = any address of this family).
  - id: ip_prefix_length
    type: u1
    doc: Prefix length, at most 32 (IPv4) or 128 (IPv6).
    valid:
      expr: '_ <= (ip_version == 4 ? 32 : 128)'
