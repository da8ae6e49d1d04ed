meta:
  id: route_advertisement
  title: ROUTE_ADVERTISEMENT capsule value
  endian: be
  imports: [ip_address_range]
doc: |
  Value of a ROUTE_ADVERTISEMENT capsule (type 0x03, RFC 9484 §4.7.3): the full list of reachable ranges,
  ordered by IP version, then IP protocol, then address, and not overlapping within one version and
  protocol (the codec checks the order; the Kaitai parser reads the entries only).
seq:
  - id: ip_address_ranges
    type: ip_address_range
    repeat: eos
    doc: The advertised ranges, in RFC 9484 order.
    -oxt-ordered: route_advertisement
