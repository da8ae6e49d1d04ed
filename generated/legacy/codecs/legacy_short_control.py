# Generated from spec/legacy/legacy_short_control.ksy by spec/codegen — do not edit; run `make generate`.
"""Legacy one-byte control messages.

KEEPALIVE [03], DISCONNECT [04], ACK [05] and AUTH_REJECTED [09] (§2.4); no body, no reason.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from generated.codecs._runtime import Buffer, DecodeError, EncodeError, truncated

_NAME = "LegacyShortControl"
_RUN0 = struct.Struct('<B')
_RUN0_LAYOUT = (('control_type', 0, 1),)
_ANY_OF_CONTROL_TYPE = frozenset((3, 4, 5, 9,))


@dataclass(frozen=True, slots=True)
class LegacyShortControl:
    """Legacy one-byte control messages (legacy_short_control.ksy).

    Attributes (wire order; * = computed by encode(), checked by decode(); = constant):
        control_type : 0x03 KEEPALIVE, 0x04 DISCONNECT, 0x05 ACK or 0x09 AUTH_REJECTED.
    """

    control_type: int

    @classmethod
    def decode(cls, data: Buffer) -> LegacyShortControl:
        """Decode exactly one LegacyShortControl from data (trailing bytes are a DecodeError)."""
        buf = data if type(data) is bytes else bytes(data)
        value, off = cls._decode(buf, 0, len(buf))
        if off != len(buf):
            raise DecodeError(_NAME, "(end)", off, f"{len(buf) - off} trailing bytes")
        return value

    @classmethod
    def decode_prefix(cls, data: Buffer, offset: int = 0) -> tuple[LegacyShortControl, int]:
        """Decode one LegacyShortControl at offset; return it and the offset after it (for streams)."""
        buf = data if type(data) is bytes else bytes(data)
        return cls._decode(buf, offset, len(buf))

    @classmethod
    def _decode(cls, buf: bytes, off: int, end: int) -> tuple[LegacyShortControl, int]:
        """Decode one LegacyShortControl from buf[off:end]; return it and the offset after it."""
        if end - off < 1:
            raise truncated(_NAME, _RUN0_LAYOUT, off, end)
        v_control_type, = _RUN0.unpack_from(buf, off)
        if v_control_type not in _ANY_OF_CONTROL_TYPE:
            raise DecodeError(_NAME, 'control_type', off, f"must be one of 3, 4, 5, 9, got {v_control_type}")
        off += 1
        return cls(v_control_type), off

    def encode(self) -> bytes:
        """The wire bytes of this LegacyShortControl; EncodeError if a value breaks the spec."""
        v_control_type = self.control_type
        if not 0 <= v_control_type <= 0xff:
            raise EncodeError(_NAME, 'control_type', f"{v_control_type} does not fit in 1 byte(s)")
        if v_control_type not in _ANY_OF_CONTROL_TYPE:
            raise EncodeError(_NAME, 'control_type', f"must be one of 3, 4, 5, 9, got {v_control_type}")
        return _RUN0.pack(v_control_type)
