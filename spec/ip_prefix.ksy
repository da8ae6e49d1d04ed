meta:
  id: ip_prefix
  title: IP prefix with version
  endian: be
doc: An IPv4 or IPv6 prefix (routes in session_config).
seq:
  - id: version
    type: u1
    doc: 4 or 6.
    valid:
      any-of: [4, 6]
  - id: address
    size: 'version == 4 ? 4 : 16'
    doc: The network address, 4 or 16 bytes, network order.
  - id: prefix_length
    type: u1
    doc: Prefix length, at most 32 (IPv4) or 128 (IPv6).
    valid:
      expr: '_ <= (version == 4 ? 32 : 128)'
