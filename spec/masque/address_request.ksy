meta:
  id: address_request
  title: ADDRESS_REQUEST capsule value
  endian: be
  imports: [masque_address]
doc: |
  Value of an ADDRESS_REQUEST capsule (type 0x02, RFC 9484 §4.7.2): at least one requested address, each
  with a non-zero request ID.
seq:
  - id: requested_addresses
    type: masque_address
    repeat: eos
    doc: The requested addresses (at least one; request_id non-zero).
    -oxt-min-items: 1
