meta:
  id: legacy_handshake_init
  title: Legacy HANDSHAKE_INIT payload (42 bytes)
  endian: le
doc: Control payload of a CONTROL packet (flags 0x08, seq 0) that opens a legacy session (§2.1).
seq:
  - id: control_type
    type: u1
    doc: HANDSHAKE_INIT (0x01).
    valid:
      eq: 0x01
  - id: client_id
    size: 32
    doc: 32 random bytes, made once per RelayClient.
  - id: timestamp
    type: u8
    doc: Unix seconds, little-endian (never checked by the server on this path).
  - id: encryption_supported
    type: u1
    doc: 0 or 1 as sent (the server treats any non-zero value as true).
