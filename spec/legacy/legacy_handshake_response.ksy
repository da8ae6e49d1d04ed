meta:
  id: legacy_handshake_response
  title: Legacy HANDSHAKE_RESPONSE payload
  endian: le
doc: |
  Server reply (§2.3): 39 or 71 bytes for IPv4, 51 or 83 for IPv6. The session key travels in clear:
  the dialect has no key agreement.
seq:
  - id: control_type
    type: u1
    doc: HANDSHAKE_RESPONSE (0x02).
    valid:
      eq: 0x02
  - id: server_id
    size: 32
    doc: Random per server process (never verified by the client).
  - id: ip_version
    type: u1
    doc: 4 or 6 (the server only ever sends 4).
    valid:
      any-of: [4, 6]
  - id: assigned_ip
    size: 'ip_version == 4 ? 4 : 16'
    doc: The client's tunnel address, network order.
  - id: has_key
    type: u1
    doc: 1 when a session key follows, else 0.
    valid:
      any-of: [0, 1]
  - id: session_key
    size: 32
    if: has_key == 1
    doc: The ChaCha20-Poly1305 key for both directions, in clear.
