# Generated from spec/legacy/legacy_handshake_init.ksy by spec/codegen — do not edit; run `make generate`.
"""Legacy HANDSHAKE_INIT payload (42 bytes).

Control payload of a CONTROL packet (flags 0x08, seq 0) that opens a legacy session (§2.1).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import ClassVar

from generated.codecs._runtime import Buffer, DecodeError, EncodeError, truncated

_NAME = "LegacyHandshakeInit"
_RUN0 = struct.Struct('<B32sQB')
_RUN0_LAYOUT = (('control_type', 0, 1), ('client_id', 1, 32), ('timestamp', 33, 8), ('encryption_supported', 41, 1),)


@dataclass(frozen=True, slots=True)
class LegacyHandshakeInit:
    """Legacy HANDSHAKE_INIT payload (42 bytes) (legacy_handshake_init.ksy).

    Attributes (wire order; * = computed by encode(), checked by decode(); = constant):
        control_type=: HANDSHAKE_INIT (0x01).
        client_id : 32 random bytes, made once per RelayClient.
        timestamp : Unix seconds, little-endian (never checked by the server on this path).
        encryption_supported : 0 or 1 as sent (the server treats any non-zero value as true).
    """

    client_id: bytes
    timestamp: int
    encryption_supported: int
    control_type: ClassVar[int] = 1

    @classmethod
    def decode(cls, data: Buffer) -> LegacyHandshakeInit:
        """Decode exactly one LegacyHandshakeInit from data (trailing bytes are a DecodeError)."""
        buf = data if type(data) is bytes else bytes(data)
        value, off = cls._decode(buf, 0, len(buf))
        if off != len(buf):
            raise DecodeError(_NAME, "(end)", off, f"{len(buf) - off} trailing bytes")
        return value

    @classmethod
    def decode_prefix(cls, data: Buffer, offset: int = 0) -> tuple[LegacyHandshakeInit, int]:
        """Decode one LegacyHandshakeInit at offset; return it and the offset after it (for streams)."""
        buf = data if type(data) is bytes else bytes(data)
        return cls._decode(buf, offset, len(buf))

    @classmethod
    def _decode(cls, buf: bytes, off: int, end: int) -> tuple[LegacyHandshakeInit, int]:
        """Decode one LegacyHandshakeInit from buf[off:end]; return it and the offset after it."""
        if end - off < 42:
            raise truncated(_NAME, _RUN0_LAYOUT, off, end)
        v_control_type, v_client_id, v_timestamp, v_encryption_supported = _RUN0.unpack_from(buf, off)
        if v_control_type != 1:
            raise DecodeError(_NAME, 'control_type', off, f"must be 1, got {v_control_type}")
        off += 42
        return cls(v_client_id, v_timestamp, v_encryption_supported), off

    def encode(self) -> bytes:
        """The wire bytes of this LegacyHandshakeInit; EncodeError if a value breaks the spec."""
        v_control_type = 1
        v_client_id = self.client_id
        v_timestamp = self.timestamp
        v_encryption_supported = self.encryption_supported
        if not 0 <= v_control_type <= 0xff:
            raise EncodeError(_NAME, 'control_type', f"{v_control_type} does not fit in 1 byte(s)")
        if len(v_client_id) != 32:
            raise EncodeError(_NAME, 'client_id', f"is {len(v_client_id)} bytes, must be {32}")
        if not 0 <= v_timestamp <= 0xffffffffffffffff:
            raise EncodeError(_NAME, 'timestamp', f"{v_timestamp} does not fit in 8 byte(s)")
        if not 0 <= v_encryption_supported <= 0xff:
            raise EncodeError(_NAME, 'encryption_supported', f"{v_encryption_supported} does not fit in 1 byte(s)")
        return _RUN0.pack(v_control_type, v_client_id, v_timestamp, v_encryption_supported)
