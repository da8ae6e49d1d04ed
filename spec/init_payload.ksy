meta:
  id: init_payload
  title: HANDSHAKE_INIT payload (plaintext)
  endian: be
doc: |
  The Noise payload of HANDSHAKE_INIT (16 bytes before encryption): the anti-replay timestamp and what
  the client supports and asks for.
seq:
  - id: timestamp
    size: 12
    doc: TAI64N; strictly greater than the last one accepted for this client key, else the INIT is refused.
  - id: supported_ciphers
    type: u1
    doc: Bitmask 0x01 ChaCha20-Poly1305, 0x02 AES-256-GCM; at least one bit, no others.
    valid:
      expr: '_ != 0 and (_ & 0xfc) == 0'
  - id: preferred_cipher
    type: u1
    enum: cipher
    doc: The cipher the client prefers (1 ChaCha20-Poly1305, 2 AES-256-GCM); must be among supported_ciphers.
    valid:
      expr: '(_ == cipher::chacha20_poly1305 or _ == cipher::aes_256_gcm) and (supported_ciphers & _.to_i) != 0'
  - id: features
    type: u2
    doc: Requested features, bitmask 0x0001 compression, 0x0002 batching, 0x0004 plaintext, 0x0008 IPv6.
    valid:
      expr: '(_ & 0xfff0) == 0'
enums:
  cipher:
    1: chacha20_poly1305
    2: aes_256_gcm
