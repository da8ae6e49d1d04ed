# Generated from spec/legacy/legacy_ping.ksy by spec/codegen — do not edit; run `make generate`.
"""Legacy PING datagram.

"OXPI" and arbitrary bytes (§1.3); answered before any rate limit or parsing.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import ClassVar

from generated.codecs._runtime import Buffer, DecodeError, truncated

_NAME = "LegacyPing"
_RUN0 = struct.Struct('>4s')
_RUN0_LAYOUT = (('magic', 0, 4),)


@dataclass(frozen=True, slots=True)
class LegacyPing:
    """Legacy PING datagram (legacy_ping.ksy).

    Attributes (wire order; * = computed by encode(), checked by decode(); = constant):
        magic=: "OXPI".
        payload : Arbitrary bytes, echoed in the PONG.
    """

    payload: bytes
    magic: ClassVar[bytes] = b'OXPI'

    @classmethod
    def decode(cls, data: Buffer) -> LegacyPing:
        """Decode exactly one LegacyPing from data (trailing bytes are a DecodeError)."""
        buf = data if type(data) is bytes else bytes(data)
        value, off = cls._decode(buf, 0, len(buf))
        if off != len(buf):
            raise DecodeError(_NAME, "(end)", off, f"{len(buf) - off} trailing bytes")
        return value

    @classmethod
    def decode_prefix(cls, data: Buffer, offset: int = 0) -> tuple[LegacyPing, int]:
        """Decode one LegacyPing at offset; return it and the offset after it (for streams)."""
        buf = data if type(data) is bytes else bytes(data)
        return cls._decode(buf, offset, len(buf))

    @classmethod
    def _decode(cls, buf: bytes, off: int, end: int) -> tuple[LegacyPing, int]:
        """Decode one LegacyPing from buf[off:end]; return it and the offset after it."""
        if end - off < 4:
            raise truncated(_NAME, _RUN0_LAYOUT, off, end)
        v_magic, = _RUN0.unpack_from(buf, off)
        if v_magic != b'OXPI':
            raise DecodeError(_NAME, 'magic', off, f"expected 4f585049, got {v_magic.hex()}")
        off += 4
        v_payload = buf[off:end]
        off = end
        return cls(v_payload), off

    def encode(self) -> bytes:
        """The wire bytes of this LegacyPing; EncodeError if a value breaks the spec."""
        v_magic = b'OXPI'
        v_payload = self.payload
        return b"".join((_RUN0.pack(v_magic), v_payload))
