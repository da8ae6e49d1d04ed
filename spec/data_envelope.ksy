meta:
  id: data_envelope
  title: OxTunnel v3 data envelope
  endian: be
doc: |
  An envelope datagram (spec/README.md §2): header ‖ receiver_index ‖ counter ‖ body ‖ tag. The AEAD
  nonce is receiver_index ‖ counter (the 12 bytes at offset 9) and the AAD is the 9-byte header. With
  ENCRYPTED the body is ciphertext; without it (authenticated plaintext) the body is plaintext and the
  tag is computed over header ‖ receiver_index ‖ counter ‖ body. Overhead 37 bytes.
seq:
  - id: magic
    contents: [0x4f, 0x58]
    doc: Protocol magic "OX".
  - id: flags
    type: u1
    doc: |
      Header flags. CONTROL only together with ENCRYPTED (0x09: the plaintext is a control_message);
      otherwise any of ENCRYPTED, COMPRESSED, BATCH, IPV6 (BATCH and IPV6 never together); reserved bits 0.
    valid:
      expr: '(_ & 0xe0) == 0 and (_ & 0x14) != 0x14 and ((_ & 0x08) == 0 or _ == 0x09)'
  - id: seq
    type: u4
    doc: Low 32 bits of `counter` (checked against it).
    -oxt-derive: 'counter & 0xffffffff'
  - id: length
    type: u2
    doc: Bytes after the header = 4 + 8 + body length + 16.
    -oxt-derive: 'body.size + 28'
    valid:
      min: 28
      max: 65526
  - id: receiver_index
    type: u4
    doc: Index the receiver chose at handshake; finds the session independent of the source address.
  - id: counter
    type: u8
    doc: Per keypair and direction, starts at 0, never reused; below REJECT_AFTER_MESSAGES.
    valid:
      expr: '(_ & 0xffffffff) == seq and _ < 18446744073709543423'
  - id: body
    size: length - 28
    doc: Ciphertext (ENCRYPTED) or authenticated plaintext of an IP packet, batch, compression envelope or control message.
  - id: tag
    size: 16
    doc: AEAD tag.
