meta:
  id: legacy_short_control
  title: Legacy one-byte control messages
  endian: le
doc: KEEPALIVE [03], DISCONNECT [04], ACK [05] and AUTH_REJECTED [09] (§2.4); no body, no reason.
seq:
  - id: control_type
    type: u1
    doc: 0x03 KEEPALIVE, 0x04 DISCONNECT, 0x05 ACK or 0x09 AUTH_REJECTED.
    valid:
      any-of: [0x03, 0x04, 0x05, 0x09]
