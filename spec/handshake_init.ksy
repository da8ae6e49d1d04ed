meta:
  id: handshake_init
  title: HANDSHAKE_INIT (Noise IK message 1)
  endian: be
doc: |
  Client → server, 158 bytes (spec/README.md §3). mac1 = MAC(HASH("mac1----" ‖ server static public key),
  all bytes before mac1); mac2 = MAC(cookie, all bytes before mac2), or zeros without a cookie.
seq:
  - id: magic
    contents: [0x4f, 0x58]
    doc: Protocol magic "OX".
  - id: flags
    type: u1
    doc: CONTROL alone (0x08).
    valid:
      eq: 0x08
  - id: seq
    type: u4
    doc: Always 0 in handshake messages.
    valid:
      eq: 0
  - id: length
    type: u2
    doc: Bytes after the header, always 149.
    valid:
      eq: 149
  - id: control_type
    type: u1
    doc: HANDSHAKE_INIT (0x01).
    valid:
      eq: 0x01
  - id: sender_index
    type: u4
    doc: The client's receiver index for this session (the server puts it in envelopes to the client).
  - id: ephemeral
    size: 32
    doc: Noise `e`, the client's ephemeral X25519 public key.
  - id: encrypted_static
    size: 48
    doc: Noise `s`, the client's static public key encrypted (32 + 16 tag).
  - id: encrypted_payload
    size: 32
    doc: The encrypted init_payload (16 + 16 tag).
  - id: mac1
    size: 16
    doc: MAC keyed by HASH("mac1----" ‖ server static key) over all bytes before mac1.
  - id: mac2
    size: 16
    doc: MAC keyed by the cookie over all bytes before mac2, or 16 zero bytes.
