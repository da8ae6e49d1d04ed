# Generated from spec/legacy/legacy_batch.ksy by spec/codegen — do not edit; run `make generate`.
"""Legacy batch payload.

count u16 LE ‖ (len u16 LE ‖ bytes){count} (§5.5); count is not capped; a truncated batch fails whole.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from generated.codecs._runtime import Buffer, DecodeError, EncodeError, truncated
from generated.legacy.codecs.legacy_batch_entry import LegacyBatchEntry

_NAME = "LegacyBatch"
_RUN0 = struct.Struct('<H')
_RUN0_LAYOUT = (('count', 0, 2),)


@dataclass(frozen=True, slots=True)
class LegacyBatch:
    """Legacy batch payload (legacy_batch.ksy).

    Attributes (wire order; * = computed by encode(), checked by decode(); = constant):
        count*: Number of packets, little-endian.
        entries : The packets.
    """

    entries: tuple[LegacyBatchEntry, ...]

    @property
    def count(self) -> int:
        """Number of packets, little-endian. (computed: entries.size)."""
        return len(self.entries)

    @classmethod
    def decode(cls, data: Buffer) -> LegacyBatch:
        """Decode exactly one LegacyBatch from data (trailing bytes are a DecodeError)."""
        buf = data if type(data) is bytes else bytes(data)
        value, off = cls._decode(buf, 0, len(buf))
        if off != len(buf):
            raise DecodeError(_NAME, "(end)", off, f"{len(buf) - off} trailing bytes")
        return value

    @classmethod
    def decode_prefix(cls, data: Buffer, offset: int = 0) -> tuple[LegacyBatch, int]:
        """Decode one LegacyBatch at offset; return it and the offset after it (for streams)."""
        buf = data if type(data) is bytes else bytes(data)
        return cls._decode(buf, offset, len(buf))

    @classmethod
    def _decode(cls, buf: bytes, off: int, end: int) -> tuple[LegacyBatch, int]:
        """Decode one LegacyBatch from buf[off:end]; return it and the offset after it."""
        if end - off < 2:
            raise truncated(_NAME, _RUN0_LAYOUT, off, end)
        v_count, = _RUN0.unpack_from(buf, off)
        off += 2
        items_entries = []
        count = v_count
        if count * 2 > end - off:
            raise DecodeError(_NAME, 'entries', off, f"{count} items need at least {count * 2} bytes, {end - off} left", truncated=True)
        for _ in range(count):
            item_entries, off = LegacyBatchEntry._decode(buf, off, end)
            items_entries.append(item_entries)
        v_entries = tuple(items_entries)
        if v_count != len(v_entries):
            raise DecodeError(_NAME, 'count', off, f"{v_count} disagrees with entries.size = {len(v_entries)}")
        return cls(v_entries), off

    def encode(self) -> bytes:
        """The wire bytes of this LegacyBatch; EncodeError if a value breaks the spec."""
        v_entries = self.entries
        b_entries = b"".join(item.encode() for item in v_entries)
        v_count = len(v_entries)
        if not 0 <= v_count <= 0xffff:
            raise EncodeError(_NAME, 'count', f"{v_count} does not fit in 2 byte(s)")
        return b"".join((_RUN0.pack(v_count), b_entries))
