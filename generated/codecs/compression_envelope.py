# Generated from spec/compression_envelope.ksy by spec/codegen — do not edit; run `make generate`.
"""Compression envelope.

Plaintext when COMPRESSED is set: the decompressed length and an LZ4 block (block format, no frame).
A receiver never decompresses to more than original_length, and refuses an original_length above
what the session's MTU (or batch) allows.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from generated.codecs._runtime import Buffer, DecodeError, EncodeError, truncated

_NAME = "CompressionEnvelope"
_RUN0 = struct.Struct('>H')
_RUN0_LAYOUT = (('original_length', 0, 2),)


@dataclass(frozen=True, slots=True)
class CompressionEnvelope:
    """Compression envelope (compression_envelope.ksy).

    Attributes (wire order; * = computed by encode(), checked by decode(); = constant):
        original_length : Exact length of the decompressed data, at least 1.
        block : Raw LZ4 block.
    """

    original_length: int
    block: bytes

    @classmethod
    def decode(cls, data: Buffer) -> CompressionEnvelope:
        """Decode exactly one CompressionEnvelope from data (trailing bytes are a DecodeError)."""
        buf = data if type(data) is bytes else bytes(data)
        value, off = cls._decode(buf, 0, len(buf))
        if off != len(buf):
            raise DecodeError(_NAME, "(end)", off, f"{len(buf) - off} trailing bytes")
        return value

    @classmethod
    def decode_prefix(cls, data: Buffer, offset: int = 0) -> tuple[CompressionEnvelope, int]:
        """Decode one CompressionEnvelope at offset; return it and the offset after it (for streams)."""
        buf = data if type(data) is bytes else bytes(data)
        return cls._decode(buf, offset, len(buf))

    @classmethod
    def _decode(cls, buf: bytes, off: int, end: int) -> tuple[CompressionEnvelope, int]:
        """Decode one CompressionEnvelope from buf[off:end]; return it and the offset after it."""
        if end - off < 2:
            raise truncated(_NAME, _RUN0_LAYOUT, off, end)
        v_original_length, = _RUN0.unpack_from(buf, off)
        if v_original_length < 1:
            raise DecodeError(_NAME, 'original_length', off, f"must be at least 1, got {v_original_length}")
        off += 2
        v_block = buf[off:end]
        off = end
        return cls(v_original_length, v_block), off

    def encode(self) -> bytes:
        """The wire bytes of this CompressionEnvelope; EncodeError if a value breaks the spec."""
        v_original_length = self.original_length
        v_block = self.block
        if not 0 <= v_original_length <= 0xffff:
            raise EncodeError(_NAME, 'original_length', f"{v_original_length} does not fit in 2 byte(s)")
        if v_original_length < 1:
            raise EncodeError(_NAME, 'original_length', f"must be at least 1, got {v_original_length}")
        return b"".join((_RUN0.pack(v_original_length), v_block))
