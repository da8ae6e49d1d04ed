# Generated from spec/batch_entry.ksy by spec/codegen — do not edit; run `make generate`.
"""One packet of a batch.

A length-prefixed inner IP packet.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from generated.codecs._runtime import Buffer, DecodeError, EncodeError, need, truncated

_NAME = "BatchEntry"
_RUN0 = struct.Struct('>H')
_RUN0_LAYOUT = (('length', 0, 2),)


@dataclass(frozen=True, slots=True)
class BatchEntry:
    """One packet of a batch (batch_entry.ksy).

    Attributes (wire order; * = computed by encode(), checked by decode(); = constant):
        length*: Length of the packet, at least 1.
        packet : The inner IP packet.
    """

    packet: bytes

    @property
    def length(self) -> int:
        """Length of the packet, at least 1. (computed: packet.size)."""
        return len(self.packet)

    @classmethod
    def decode(cls, data: Buffer) -> BatchEntry:
        """Decode exactly one BatchEntry from data (trailing bytes are a DecodeError)."""
        buf = data if type(data) is bytes else bytes(data)
        value, off = cls._decode(buf, 0, len(buf))
        if off != len(buf):
            raise DecodeError(_NAME, "(end)", off, f"{len(buf) - off} trailing bytes")
        return value

    @classmethod
    def decode_prefix(cls, data: Buffer, offset: int = 0) -> tuple[BatchEntry, int]:
        """Decode one BatchEntry at offset; return it and the offset after it (for streams)."""
        buf = data if type(data) is bytes else bytes(data)
        return cls._decode(buf, offset, len(buf))

    @classmethod
    def _decode(cls, buf: bytes, off: int, end: int) -> tuple[BatchEntry, int]:
        """Decode one BatchEntry from buf[off:end]; return it and the offset after it."""
        if end - off < 2:
            raise truncated(_NAME, _RUN0_LAYOUT, off, end)
        v_length, = _RUN0.unpack_from(buf, off)
        if v_length < 1:
            raise DecodeError(_NAME, 'length', off, f"must be at least 1, got {v_length}")
        off += 2
        n = v_length
        if n < 0 or end - off < n:
            raise need(_NAME, 'packet', off, end, n)
        v_packet = buf[off:off + n]
        off += n
        if v_length != len(v_packet):
            raise DecodeError(_NAME, 'length', off, f"{v_length} disagrees with packet.size = {len(v_packet)}")
        return cls(v_packet), off

    def encode(self) -> bytes:
        """The wire bytes of this BatchEntry; EncodeError if a value breaks the spec."""
        v_packet = self.packet
        v_length = len(v_packet)
        if not 0 <= v_length <= 0xffff:
            raise EncodeError(_NAME, 'length', f"{v_length} does not fit in 2 byte(s)")
        if v_length < 1:
            raise EncodeError(_NAME, 'length', f"must be at least 1, got {v_length}")
        if len(v_packet) != v_length:
            raise EncodeError(_NAME, 'packet', f"is {len(v_packet)} bytes, must be {v_length}")
        return b"".join((_RUN0.pack(v_length), v_packet))
