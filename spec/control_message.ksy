meta:
  id: control_message
  title: Authenticated control message
  endian: be
  imports: [session_config]
doc: |
  The plaintext of an envelope with flags 0x09 (spec/README.md §4): a type byte and its body. Only the
  six post-handshake types are valid here.
seq:
  - id: control_type
    type: u1
    enum: control_type
    doc: KEEPALIVE, DISCONNECT, ACK, CONFIG_UPDATE, KEY_ROTATION or REKEY_REQUEST.
    valid:
      any-of:
        - control_type::keepalive
        - control_type::disconnect
        - control_type::ack
        - control_type::config_update
        - control_type::key_rotation
        - control_type::rekey_request
  - id: reason
    type: u1
    enum: disconnect_reason
    if: control_type == control_type::disconnect
    doc: DISCONNECT only; why the session ends.
    valid:
      any-of:
        - disconnect_reason::normal
        - disconnect_reason::shutdown
        - disconnect_reason::idle
        - disconnect_reason::policy
        - disconnect_reason::rekey_failed
        - disconnect_reason::address_pool_exhausted
  - id: acked_counter
    type: u8
    if: control_type == control_type::ack
    doc: ACK only; the envelope counter of the message acknowledged.
  - id: config_id
    type: u4
    if: control_type == control_type::config_update
    doc: CONFIG_UPDATE only; increases with every update so that a stale one is ignored.
  - id: config
    type: session_config
    if: control_type == control_type::config_update
    doc: CONFIG_UPDATE only; the new session configuration.
  - id: retired_index
    type: u4
    if: control_type == control_type::key_rotation
    doc: KEY_ROTATION only; the receiver index of the keypair this one replaces (0 = none).
enums:
  control_type:
    1: handshake_init
    2: handshake_response
    3: keepalive
    4: disconnect
    5: ack
    6: config_update
    7: key_rotation
    8: reserved_init_auth
    9: reserved_auth_rejected
    10: cookie_reply
    11: rekey_request
  disconnect_reason:
    0: normal
    1: shutdown
    2: idle
    3: policy
    4: rekey_failed
    5: address_pool_exhausted
