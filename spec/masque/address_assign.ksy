meta:
  id: address_assign
  title: ADDRESS_ASSIGN capsule value
  endian: be
  imports: [masque_address]
doc: |
  Value of an ADDRESS_ASSIGN capsule (type 0x01, RFC 9484 §4.7.1): the full current list of addresses
  assigned to the peer; an empty list removes them all.
seq:
  - id: assigned_addresses
    type: masque_address
    repeat: eos
    doc: The assigned addresses.
