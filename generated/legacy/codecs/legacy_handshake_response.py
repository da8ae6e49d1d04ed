# Generated from spec/legacy/legacy_handshake_response.ksy by spec/codegen — do not edit; run `make generate`.
"""Legacy HANDSHAKE_RESPONSE payload.

Server reply (§2.3): 39 or 71 bytes for IPv4, 51 or 83 for IPv6. The session key travels in clear:
the dialect has no key agreement.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import ClassVar

from generated.codecs._runtime import Buffer, DecodeError, EncodeError, need, truncated

_NAME = "LegacyHandshakeResponse"
_RUN0 = struct.Struct('<B32sB')
_RUN0_LAYOUT = (('control_type', 0, 1), ('server_id', 1, 32), ('ip_version', 33, 1),)
_ANY_OF_IP_VERSION = frozenset((4, 6,))
_RUN2 = struct.Struct('<B')
_RUN2_LAYOUT = (('has_key', 0, 1),)
_ANY_OF_HAS_KEY = frozenset((0, 1,))


@dataclass(frozen=True, slots=True)
class LegacyHandshakeResponse:
    """Legacy HANDSHAKE_RESPONSE payload (legacy_handshake_response.ksy).

    Attributes (wire order; * = computed by encode(), checked by decode(); = constant):
        control_type=: HANDSHAKE_RESPONSE (0x02).
        server_id : Random per server process (never verified by the client).
        ip_version : 4 or 6 (the server only ever sends 4).
        assigned_ip : The client's tunnel address, network order.
        has_key : 1 when a session key follows, else 0.
        session_key : The ChaCha20-Poly1305 key for both directions, in clear.
    """

    server_id: bytes
    ip_version: int
    assigned_ip: bytes
    has_key: int
    session_key: bytes | None = None
    control_type: ClassVar[int] = 2

    @classmethod
    def decode(cls, data: Buffer) -> LegacyHandshakeResponse:
        """Decode exactly one LegacyHandshakeResponse from data (trailing bytes are a DecodeError)."""
        buf = data if type(data) is bytes else bytes(data)
        value, off = cls._decode(buf, 0, len(buf))
        if off != len(buf):
            raise DecodeError(_NAME, "(end)", off, f"{len(buf) - off} trailing bytes")
        return value

    @classmethod
    def decode_prefix(cls, data: Buffer, offset: int = 0) -> tuple[LegacyHandshakeResponse, int]:
        """Decode one LegacyHandshakeResponse at offset; return it and the offset after it (for streams)."""
        buf = data if type(data) is bytes else bytes(data)
        return cls._decode(buf, offset, len(buf))

    @classmethod
    def _decode(cls, buf: bytes, off: int, end: int) -> tuple[LegacyHandshakeResponse, int]:
        """Decode one LegacyHandshakeResponse from buf[off:end]; return it and the offset after it."""
        if end - off < 34:
            raise truncated(_NAME, _RUN0_LAYOUT, off, end)
        v_control_type, v_server_id, v_ip_version = _RUN0.unpack_from(buf, off)
        if v_control_type != 2:
            raise DecodeError(_NAME, 'control_type', off, f"must be 2, got {v_control_type}")
        if v_ip_version not in _ANY_OF_IP_VERSION:
            raise DecodeError(_NAME, 'ip_version', off + 33, f"must be one of 4, 6, got {v_ip_version}")
        off += 34
        n = (4 if v_ip_version == 4 else 16)
        if n < 0 or end - off < n:
            raise need(_NAME, 'assigned_ip', off, end, n)
        v_assigned_ip = buf[off:off + n]
        off += n
        if end - off < 1:
            raise truncated(_NAME, _RUN2_LAYOUT, off, end)
        v_has_key, = _RUN2.unpack_from(buf, off)
        if v_has_key not in _ANY_OF_HAS_KEY:
            raise DecodeError(_NAME, 'has_key', off, f"must be one of 0, 1, got {v_has_key}")
        off += 1
        if (v_has_key == 1):
            n = 32
            if n < 0 or end - off < n:
                raise need(_NAME, 'session_key', off, end, n)
            v_session_key = buf[off:off + n]
            off += n
        else:
            v_session_key = None
        return cls(v_server_id, v_ip_version, v_assigned_ip, v_has_key, v_session_key), off

    def encode(self) -> bytes:
        """The wire bytes of this LegacyHandshakeResponse; EncodeError if a value breaks the spec."""
        v_control_type = 2
        v_server_id = self.server_id
        v_ip_version = self.ip_version
        v_assigned_ip = self.assigned_ip
        v_has_key = self.has_key
        v_session_key = self.session_key
        if not 0 <= v_control_type <= 0xff:
            raise EncodeError(_NAME, 'control_type', f"{v_control_type} does not fit in 1 byte(s)")
        if len(v_server_id) != 32:
            raise EncodeError(_NAME, 'server_id', f"is {len(v_server_id)} bytes, must be {32}")
        if not 0 <= v_ip_version <= 0xff:
            raise EncodeError(_NAME, 'ip_version', f"{v_ip_version} does not fit in 1 byte(s)")
        if v_ip_version not in _ANY_OF_IP_VERSION:
            raise EncodeError(_NAME, 'ip_version', f"must be one of 4, 6, got {v_ip_version}")
        if len(v_assigned_ip) != (4 if v_ip_version == 4 else 16):
            raise EncodeError(_NAME, 'assigned_ip', f"is {len(v_assigned_ip)} bytes, must be {(4 if v_ip_version == 4 else 16)}")
        if not 0 <= v_has_key <= 0xff:
            raise EncodeError(_NAME, 'has_key', f"{v_has_key} does not fit in 1 byte(s)")
        if v_has_key not in _ANY_OF_HAS_KEY:
            raise EncodeError(_NAME, 'has_key', f"must be one of 0, 1, got {v_has_key}")
        if (v_has_key == 1):
            if v_session_key is None:
                raise EncodeError(_NAME, 'session_key', "required when has_key == 1")
        elif v_session_key is not None:
            raise EncodeError(_NAME, 'session_key', "must be None unless has_key == 1")
        if v_session_key is not None:
            if len(v_session_key) != 32:
                raise EncodeError(_NAME, 'session_key', f"is {len(v_session_key)} bytes, must be {32}")
        return b"".join((_RUN0.pack(v_control_type, v_server_id, v_ip_version), v_assigned_ip, _RUN2.pack(v_has_key), (v_session_key if v_session_key is not None else b"")))
