# Generated from spec/legacy/legacy_lz4_block.ksy by spec/codegen — do not edit; run `make generate`.
"""Legacy LZ4 framing.

u32 LE original size ‖ raw LZ4 block (§5.2; block format, not frame format). The Rust decoder
allocates original_size before any check; a receiver must bound it (9216).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from generated.codecs._runtime import Buffer, DecodeError, EncodeError, truncated

_NAME = "LegacyLz4Block"
_RUN0 = struct.Struct('<I')
_RUN0_LAYOUT = (('original_size', 0, 4),)


@dataclass(frozen=True, slots=True)
class LegacyLz4Block:
    """Legacy LZ4 framing (legacy_lz4_block.ksy).

    Attributes (wire order; * = computed by encode(), checked by decode(); = constant):
        original_size : Decompressed size, little-endian.
        block : Raw LZ4 block.
    """

    original_size: int
    block: bytes

    @classmethod
    def decode(cls, data: Buffer) -> LegacyLz4Block:
        """Decode exactly one LegacyLz4Block from data (trailing bytes are a DecodeError)."""
        buf = data if type(data) is bytes else bytes(data)
        value, off = cls._decode(buf, 0, len(buf))
        if off != len(buf):
            raise DecodeError(_NAME, "(end)", off, f"{len(buf) - off} trailing bytes")
        return value

    @classmethod
    def decode_prefix(cls, data: Buffer, offset: int = 0) -> tuple[LegacyLz4Block, int]:
        """Decode one LegacyLz4Block at offset; return it and the offset after it (for streams)."""
        buf = data if type(data) is bytes else bytes(data)
        return cls._decode(buf, offset, len(buf))

    @classmethod
    def _decode(cls, buf: bytes, off: int, end: int) -> tuple[LegacyLz4Block, int]:
        """Decode one LegacyLz4Block from buf[off:end]; return it and the offset after it."""
        if end - off < 4:
            raise truncated(_NAME, _RUN0_LAYOUT, off, end)
        v_original_size, = _RUN0.unpack_from(buf, off)
        off += 4
        v_block = buf[off:end]
        off = end
        return cls(v_original_size, v_block), off

    def encode(self) -> bytes:
        """The wire bytes of this LegacyLz4Block; EncodeError if a value breaks the spec."""
        v_original_size = self.original_size
        v_block = self.block
        if not 0 <= v_original_size <= 0xffffffff:
            raise EncodeError(_NAME, 'original_size', f"{v_original_size} does not fit in 4 byte(s)")
        return b"".join((_RUN0.pack(v_original_size), v_block))
