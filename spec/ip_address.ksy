meta:
  id: ip_address
  title: IP address with version
  endian: be
doc: An IPv4 or IPv6 address with its version (DNS servers in session_config).
seq:
  - id: version
    type: u1
    doc: 4 or 6.
    valid:
      any-of: [4, 6]
  - id: address
    size: 'version == 4 ? 4 : 16'
    doc: The address, 4 bytes for IPv4 or 16 for IPv6, network order.
