meta:
  id: ip_address_range
  title: IP address range (ROUTE_ADVERTISEMENT entry)
  endian: be
doc: One inclusive address range with an IP protocol (RFC 9484 §4.7.3).
seq:
  - id: ip_version
    type: u1
    doc: 4 or 6.
    valid:
      any-of: [4, 6]
  - id: start_address
    size: 'ip_version == 4 ? 4 : 16'
    doc: First address of the range (inclusive).
  - id: end_address
    size: 'ip_version == 4 ? 4 : 16'
    doc: Last address of the range (inclusive), not below start_address.
    valid:
      expr: _ >= start_address
  - id: ip_protocol
    type: u1
    doc: IP protocol number the range applies to (0 = all; ICMP is always allowed).
