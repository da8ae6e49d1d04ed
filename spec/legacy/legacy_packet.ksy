meta:
  id: legacy_packet
  title: Legacy (Rust Oxidize) V1 packet
  endian: le
doc: |
  What the Rust Oxidize code puts in every UDP datagram except PING/PONG (legacy-dialect.md §1.1):
  a little-endian 9-byte header and the payload. All 8 flag bits are flags (no reserved bits); the
  server ignores trailing bytes after the payload, this codec rejects them (a conforming sender sends none).
seq:
  - id: magic
    contents: [0x4f, 0x58]
    doc: Protocol magic "OX".
  - id: flags
    type: u1
    doc: 0x01 ENCRYPTED, 0x02 COMPRESSED, 0x04 BATCH, 0x08 CONTROL, 0x10 IPV6 (never used), 0x20 ACK_REQUEST (never used).
  - id: seq_num
    type: u4
    doc: Sequence number, little-endian; the nonce counter of encrypted packets, 0 in handshakes.
  - id: payload_len
    type: u2
    doc: Payload length (ciphertext plus 16-byte tag when encrypted), at most 9207 (9216 − 9).
    -oxt-derive: payload.size
    valid:
      max: 9207
  - id: payload
    size: payload_len
    doc: Plaintext, or ChaCha20-Poly1305 ciphertext ‖ tag (nonce 0000_0000 ‖ u64le(seq_num), empty AAD).
