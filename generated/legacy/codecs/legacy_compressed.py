# Generated from spec/legacy/legacy_compressed.ksy by spec/codegen — do not edit; run `make generate`.
"""Legacy "OC" compression envelope.

The preferred compressed form (§5.1); for method 1 the data is a legacy_lz4_block.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import ClassVar

from generated.codecs._runtime import Buffer, DecodeError, EncodeError, truncated
from generated.legacy.codecs.constants import CompressionMethod

_NAME = "LegacyCompressed"
_RUN0 = struct.Struct('<2sB')
_RUN0_LAYOUT = (('magic', 0, 2), ('method', 2, 1),)
_ANY_OF_METHOD = frozenset((0, 1, 2, 3,))


@dataclass(frozen=True, slots=True)
class LegacyCompressed:
    """Legacy "OC" compression envelope (legacy_compressed.ksy).

    Attributes (wire order; * = computed by encode(), checked by decode(); = constant):
        magic=: "OC".
        method : 0 None, 1 Lz4, 2 Rohc (custom, not RFC 3095), 3 RohcLz4.
        data : The compressed bytes.
    """

    method: CompressionMethod
    data: bytes
    magic: ClassVar[bytes] = b'OC'

    @classmethod
    def decode(cls, data: Buffer) -> LegacyCompressed:
        """Decode exactly one LegacyCompressed from data (trailing bytes are a DecodeError)."""
        buf = data if type(data) is bytes else bytes(data)
        value, off = cls._decode(buf, 0, len(buf))
        if off != len(buf):
            raise DecodeError(_NAME, "(end)", off, f"{len(buf) - off} trailing bytes")
        return value

    @classmethod
    def decode_prefix(cls, data: Buffer, offset: int = 0) -> tuple[LegacyCompressed, int]:
        """Decode one LegacyCompressed at offset; return it and the offset after it (for streams)."""
        buf = data if type(data) is bytes else bytes(data)
        return cls._decode(buf, offset, len(buf))

    @classmethod
    def _decode(cls, buf: bytes, off: int, end: int) -> tuple[LegacyCompressed, int]:
        """Decode one LegacyCompressed from buf[off:end]; return it and the offset after it."""
        if end - off < 3:
            raise truncated(_NAME, _RUN0_LAYOUT, off, end)
        v_magic, v_method = _RUN0.unpack_from(buf, off)
        if v_magic != b'OC':
            raise DecodeError(_NAME, 'magic', off, f"expected 4f43, got {v_magic.hex()}")
        if v_method not in _ANY_OF_METHOD:
            raise DecodeError(_NAME, 'method', off + 2, f"must be one of none, lz4, rohc, rohc_lz4, got {v_method}")
        v_method = CompressionMethod(v_method)
        off += 3
        v_data = buf[off:end]
        off = end
        return cls(v_method, v_data), off

    def encode(self) -> bytes:
        """The wire bytes of this LegacyCompressed; EncodeError if a value breaks the spec."""
        v_magic = b'OC'
        v_method = self.method
        v_data = self.data
        if not 0 <= v_method <= 0xff:
            raise EncodeError(_NAME, 'method', f"{v_method} does not fit in 1 byte(s)")
        if v_method not in _ANY_OF_METHOD:
            raise EncodeError(_NAME, 'method', f"must be one of none, lz4, rohc, rohc_lz4, got {v_method}")
        return b"".join((_RUN0.pack(v_magic, v_method), v_data))
