meta:
  id: legacy_batch
  title: Legacy batch payload
  endian: le
  imports: [legacy_batch_entry]
doc: count u16 LE ‖ (len u16 LE ‖ bytes){count} (§5.5); count is not capped; a truncated batch fails whole.
seq:
  - id: count
    type: u2
    doc: Number of packets, little-endian.
    -oxt-derive: entries.size
  - id: entries
    type: legacy_batch_entry
    repeat: expr
    repeat-expr: count
    doc: The packets.
