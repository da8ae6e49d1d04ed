# Generated from spec/legacy/legacy_handshake_init_auth.ksy by spec/codegen — do not edit; run `make generate`.
"""Legacy HANDSHAKE_INIT_AUTH payload (170 bytes).

The authenticated variant of the legacy init (§2.2).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import ClassVar

from generated.codecs._runtime import Buffer, DecodeError, EncodeError, truncated

_NAME = "LegacyHandshakeInitAuth"
_RUN0 = struct.Struct('<B32sQB64s32s32s')
_RUN0_LAYOUT = (('control_type', 0, 1), ('client_id', 1, 32), ('timestamp', 33, 8), ('encryption_supported', 41, 1), ('signature', 42, 64), ('api_key', 106, 32), ('hmac', 138, 32),)


@dataclass(frozen=True, slots=True)
class LegacyHandshakeInitAuth:
    """Legacy HANDSHAKE_INIT_AUTH payload (170 bytes) (legacy_handshake_init_auth.ksy).

    Attributes (wire order; * = computed by encode(), checked by decode(); = constant):
        control_type=: HANDSHAKE_INIT_AUTH (0x08).
        client_id : 32 random bytes, made once per RelayClient.
        timestamp : Unix seconds, little-endian; the server accepts now − 300 s … now + 60 s.
        encryption_supported : 0 or 1 as sent (not covered by the signature or the MAC).
        signature : Ed25519 signature over client_id ‖ timestamp_le.
        api_key : API key (never looked up by the server).
        hmac : HMAC-SHA256(api_secret, client_id ‖ timestamp_le ‖ api_key).
    """

    client_id: bytes
    timestamp: int
    encryption_supported: int
    signature: bytes
    api_key: bytes
    hmac: bytes
    control_type: ClassVar[int] = 8

    @classmethod
    def decode(cls, data: Buffer) -> LegacyHandshakeInitAuth:
        """Decode exactly one LegacyHandshakeInitAuth from data (trailing bytes are a DecodeError)."""
        buf = data if type(data) is bytes else bytes(data)
        value, off = cls._decode(buf, 0, len(buf))
        if off != len(buf):
            raise DecodeError(_NAME, "(end)", off, f"{len(buf) - off} trailing bytes")
        return value

    @classmethod
    def decode_prefix(cls, data: Buffer, offset: int = 0) -> tuple[LegacyHandshakeInitAuth, int]:
        """Decode one LegacyHandshakeInitAuth at offset; return it and the offset after it (for streams)."""
        buf = data if type(data) is bytes else bytes(data)
        return cls._decode(buf, offset, len(buf))

    @classmethod
    def _decode(cls, buf: bytes, off: int, end: int) -> tuple[LegacyHandshakeInitAuth, int]:
        """Decode one LegacyHandshakeInitAuth from buf[off:end]; return it and the offset after it."""
        if end - off < 170:
            raise truncated(_NAME, _RUN0_LAYOUT, off, end)
        v_control_type, v_client_id, v_timestamp, v_encryption_supported, v_signature, v_api_key, v_hmac = _RUN0.unpack_from(buf, off)
        if v_control_type != 8:
            raise DecodeError(_NAME, 'control_type', off, f"must be 8, got {v_control_type}")
        off += 170
        return cls(v_client_id, v_timestamp, v_encryption_supported, v_signature, v_api_key, v_hmac), off

    def encode(self) -> bytes:
        """The wire bytes of this LegacyHandshakeInitAuth; EncodeError if a value breaks the spec."""
        v_control_type = 8
        v_client_id = self.client_id
        v_timestamp = self.timestamp
        v_encryption_supported = self.encryption_supported
        v_signature = self.signature
        v_api_key = self.api_key
        v_hmac = self.hmac
        if not 0 <= v_control_type <= 0xff:
            raise EncodeError(_NAME, 'control_type', f"{v_control_type} does not fit in 1 byte(s)")
        if len(v_client_id) != 32:
            raise EncodeError(_NAME, 'client_id', f"is {len(v_client_id)} bytes, must be {32}")
        if not 0 <= v_timestamp <= 0xffffffffffffffff:
            raise EncodeError(_NAME, 'timestamp', f"{v_timestamp} does not fit in 8 byte(s)")
        if not 0 <= v_encryption_supported <= 0xff:
            raise EncodeError(_NAME, 'encryption_supported', f"{v_encryption_supported} does not fit in 1 byte(s)")
        if len(v_signature) != 64:
            raise EncodeError(_NAME, 'signature', f"is {len(v_signature)} bytes, must be {64}")
        if len(v_api_key) != 32:
            raise EncodeError(_NAME, 'api_key', f"is {len(v_api_key)} bytes, must be {32}")
        if len(v_hmac) != 32:
            raise EncodeError(_NAME, 'hmac', f"is {len(v_hmac)} bytes, must be {32}")
        return _RUN0.pack(v_control_type, v_client_id, v_timestamp, v_encryption_supported, v_signature, v_api_key, v_hmac)
