meta:
  id: cookie_reply
  title: COOKIE_REPLY
  endian: be
doc: |
  Server → client under load instead of a HANDSHAKE_RESPONSE (58 bytes). encrypted_cookie =
  ChaCha20-Poly1305(key HASH("cookie--" ‖ server static public key), nonce, cookie, AAD = mac1 of the INIT).
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
    doc: Bytes after the header, always 49.
    valid:
      eq: 49
  - id: control_type
    type: u1
    doc: COOKIE_REPLY (0x0A).
    valid:
      eq: 0x0a
  - id: receiver_index
    type: u4
    doc: The sender_index of the HANDSHAKE_INIT being answered.
  - id: nonce
    size: 12
    doc: Random AEAD nonce.
  - id: encrypted_cookie
    size: 32
    doc: The 16-byte cookie encrypted, plus 16-byte tag.
