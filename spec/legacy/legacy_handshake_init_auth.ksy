meta:
  id: legacy_handshake_init_auth
  title: Legacy HANDSHAKE_INIT_AUTH payload (170 bytes)
  endian: le
doc: The authenticated variant of the legacy init (§2.2).
seq:
  - id: control_type
    type: u1
    doc: HANDSHAKE_INIT_AUTH (0x08).
    valid:
      eq: 0x08
  - id: client_id
    size: 32
    doc: 32 random bytes, made once per RelayClient.
  - id: timestamp
    type: u8
    doc: Unix seconds, little-endian; the server accepts now − 300 s … now + 60 s.
  - id: encryption_supported
    type: u1
    doc: 0 or 1 as sent (not covered by the signature or the MAC).
  - id: signature
    size: 64
    doc: Ed25519 signature over client_id ‖ timestamp_le.
  - id: api_key
    size: 32
    doc: API key (never looked up by the server).
  - id: hmac
    size: 32
    doc: HMAC-SHA256(api_secret, client_id ‖ timestamp_le ‖ api_key).
