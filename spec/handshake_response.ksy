meta:
  id: handshake_response
  title: HANDSHAKE_RESPONSE (Noise IK message 2)
  endian: be
doc: |
  Server → client (spec/README.md §3). The encrypted payload is the session_config plus a 16-byte tag;
  mac1 is keyed by HASH("mac1----" ‖ client static public key).
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
    doc: Bytes after the header = 73 + encrypted_payload length.
    -oxt-derive: 'encrypted_payload.size + 73'
    valid:
      min: 120
      max: 65526
  - id: control_type
    type: u1
    doc: HANDSHAKE_RESPONSE (0x02).
    valid:
      eq: 0x02
  - id: sender_index
    type: u4
    doc: The server's receiver index for this session (the client puts it in envelopes to the server).
  - id: receiver_index
    type: u4
    doc: The sender_index of the HANDSHAKE_INIT being answered.
  - id: ephemeral
    size: 32
    doc: Noise `e`, the server's ephemeral X25519 public key.
  - id: encrypted_payload
    size: length - 73
    doc: The encrypted session_config plus 16-byte tag (at least 31 + 16 bytes).
  - id: mac1
    size: 16
    doc: MAC keyed by HASH("mac1----" ‖ client static key) over all bytes before mac1.
  - id: mac2
    size: 16
    doc: MAC keyed by a cookie over all bytes before mac2, or 16 zero bytes.
