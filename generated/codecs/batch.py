# Generated from spec/batch.ksy by spec/codegen — do not edit; run `make generate`.
"""Batch of inner packets.

Plaintext when BATCH is set (after decompression when COMPRESSED is also set): a count and that many
length-prefixed packets, consuming the plaintext exactly.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from generated.codecs._runtime import Buffer, DecodeError, EncodeError, truncated
from generated.codecs.batch_entry import BatchEntry

_NAME = "Batch"
_RUN0 = struct.Struct('>H')
_RUN0_LAYOUT = (('count', 0, 2),)


@dataclass(frozen=True, slots=True)
class Batch:
    """Batch of inner packets (batch.ksy).

    Attributes (wire order; * = computed by encode(), checked by decode(); = constant):
        count*: Number of packets, at least 1.
        entries : The packets, in order.
    """

    entries: tuple[BatchEntry, ...]

    @property
    def count(self) -> int:
        """Number of packets, at least 1. (computed: entries.size)."""
        return len(self.entries)

    @classmethod
    def decode(cls, data: Buffer) -> Batch:
        """Decode exactly one Batch from data (trailing bytes are a DecodeError)."""
        buf = data if type(data) is bytes else bytes(data)
        value, off = cls._decode(buf, 0, len(buf))
        if off != len(buf):
            raise DecodeError(_NAME, "(end)", off, f"{len(buf) - off} trailing bytes")
        return value

    @classmethod
    def decode_prefix(cls, data: Buffer, offset: int = 0) -> tuple[Batch, int]:
        """Decode one Batch at offset; return it and the offset after it (for streams)."""
        buf = data if type(data) is bytes else bytes(data)
        return cls._decode(buf, offset, len(buf))

    @classmethod
    def _decode(cls, buf: bytes, off: int, end: int) -> tuple[Batch, int]:
        """Decode one Batch from buf[off:end]; return it and the offset after it."""
        if end - off < 2:
            raise truncated(_NAME, _RUN0_LAYOUT, off, end)
        v_count, = _RUN0.unpack_from(buf, off)
        if v_count < 1:
            raise DecodeError(_NAME, 'count', off, f"must be at least 1, got {v_count}")
        off += 2
        items_entries = []
        count = v_count
        if count * 2 > end - off:
            raise DecodeError(_NAME, 'entries', off, f"{count} items need at least {count * 2} bytes, {end - off} left", truncated=True)
        for _ in range(count):
            item_entries, off = BatchEntry._decode(buf, off, end)
            items_entries.append(item_entries)
        v_entries = tuple(items_entries)
        if v_count != len(v_entries):
            raise DecodeError(_NAME, 'count', off, f"{v_count} disagrees with entries.size = {len(v_entries)}")
        return cls(v_entries), off

    def encode(self) -> bytes:
        """The wire bytes of this Batch; EncodeError if a value breaks the spec."""
        v_entries = self.entries
        b_entries = b"".join(item.encode() for item in v_entries)
        v_count = len(v_entries)
        if not 0 <= v_count <= 0xffff:
            raise EncodeError(_NAME, 'count', f"{v_count} does not fit in 2 byte(s)")
        if v_count < 1:
            raise EncodeError(_NAME, 'count', f"must be at least 1, got {v_count}")
        return b"".join((_RUN0.pack(v_count), b_entries))
