# Generated from spec/legacy/legacy_pong.ksy by spec/codegen — do not edit; run `make generate`.
"""Legacy PONG datagram.

"OXPO" and the PING's trailing bytes, same length (§1.3).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import ClassVar

from generated.codecs._runtime import Buffer, DecodeError, truncated

_NAME = "LegacyPong"
_RUN0 = struct.Struct('>4s')
_RUN0_LAYOUT = (('magic', 0, 4),)


@dataclass(frozen=True, slots=True)
class LegacyPong:
    """Legacy PONG datagram (legacy_pong.ksy).

    Attributes (wire order; * = computed by encode(), checked by decode(); = constant):
        magic=: "OXPO".
        payload : The bytes that followed "OXPI" in the PING.
    """

    payload: bytes
    magic: ClassVar[bytes] = b'OXPO'

    @classmethod
    def decode(cls, data: Buffer) -> LegacyPong:
        """Decode exactly one LegacyPong from data (trailing bytes are a DecodeError)."""
        buf = data if type(data) is bytes else bytes(data)
        value, off = cls._decode(buf, 0, len(buf))
        if off != len(buf):
            raise DecodeError(_NAME, "(end)", off, f"{len(buf) - off} trailing bytes")
        return value

    @classmethod
    def decode_prefix(cls, data: Buffer, offset: int = 0) -> tuple[LegacyPong, int]:
        """Decode one LegacyPong at offset; return it and the offset after it (for streams)."""
        buf = data if type(data) is bytes else bytes(data)
        return cls._decode(buf, offset, len(buf))

    @classmethod
    def _decode(cls, buf: bytes, off: int, end: int) -> tuple[LegacyPong, int]:
        """Decode one LegacyPong from buf[off:end]; return it and the offset after it."""
        if end - off < 4:
            raise truncated(_NAME, _RUN0_LAYOUT, off, end)
        v_magic, = _RUN0.unpack_from(buf, off)
        if v_magic != b'OXPO':
            raise DecodeError(_NAME, 'magic', off, f"expected 4f58504f, got {v_magic.hex()}")
        off += 4
        v_payload = buf[off:end]
        off = end
        return cls(v_payload), off

    def encode(self) -> bytes:
        """The wire bytes of this LegacyPong; EncodeError if a value breaks the spec."""
        v_magic = b'OXPO'
        v_payload = self.payload
        return b"".join((_RUN0.pack(v_magic), v_payload))
