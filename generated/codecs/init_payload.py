# Generated from spec/init_payload.ksy by spec/codegen — do not edit; run `make generate`.
"""HANDSHAKE_INIT payload (plaintext).

The Noise payload of HANDSHAKE_INIT (16 bytes before encryption): the anti-replay timestamp and what
the client supports and asks for.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from generated.codecs._runtime import Buffer, DecodeError, EncodeError, truncated
from generated.codecs.constants import Cipher

_NAME = "InitPayload"
_RUN0 = struct.Struct('>12sBBH')
_RUN0_LAYOUT = (('timestamp', 0, 12), ('supported_ciphers', 12, 1), ('preferred_cipher', 13, 1), ('features', 14, 2),)


@dataclass(frozen=True, slots=True)
class InitPayload:
    """HANDSHAKE_INIT payload (plaintext) (init_payload.ksy).

    Attributes (wire order; * = computed by encode(), checked by decode(); = constant):
        timestamp : TAI64N; strictly greater than the last one accepted for this client key, else the INIT is refused.
        supported_ciphers : Bitmask 0x01 ChaCha20-Poly1305, 0x02 AES-256-GCM; at least one bit, no others.
        preferred_cipher : The cipher the client prefers (1 ChaCha20-Poly1305, 2 AES-256-GCM); must be among supported_ciphers.
        features : Requested features, bitmask 0x0001 compression, 0x0002 batching, 0x0004 plaintext, 0x0008 IPv6.
    """

    timestamp: bytes
    supported_ciphers: int
    preferred_cipher: Cipher
    features: int

    @classmethod
    def decode(cls, data: Buffer) -> InitPayload:
        """Decode exactly one InitPayload from data (trailing bytes are a DecodeError)."""
        buf = data if type(data) is bytes else bytes(data)
        value, off = cls._decode(buf, 0, len(buf))
        if off != len(buf):
            raise DecodeError(_NAME, "(end)", off, f"{len(buf) - off} trailing bytes")
        return value

    @classmethod
    def decode_prefix(cls, data: Buffer, offset: int = 0) -> tuple[InitPayload, int]:
        """Decode one InitPayload at offset; return it and the offset after it (for streams)."""
        buf = data if type(data) is bytes else bytes(data)
        return cls._decode(buf, offset, len(buf))

    @classmethod
    def _decode(cls, buf: bytes, off: int, end: int) -> tuple[InitPayload, int]:
        """Decode one InitPayload from buf[off:end]; return it and the offset after it."""
        if end - off < 16:
            raise truncated(_NAME, _RUN0_LAYOUT, off, end)
        v_timestamp, v_supported_ciphers, v_preferred_cipher, v_features = _RUN0.unpack_from(buf, off)
        if not (v_supported_ciphers != 0 and (v_supported_ciphers & 0xfc) == 0):
            raise DecodeError(_NAME, 'supported_ciphers', off + 12, f"violates `_ != 0 and (_ & 0xfc) == 0` (value {v_supported_ciphers!r})")
        if not ((v_preferred_cipher == 1 or v_preferred_cipher == 2) and (v_supported_ciphers & v_preferred_cipher) != 0):
            raise DecodeError(_NAME, 'preferred_cipher', off + 13, f"violates `(_ == cipher::chacha20_poly1305 or _ == cipher::aes_256_gcm) and (supported_ciphers & _.to_i) != 0` (value {v_preferred_cipher!r})")
        v_preferred_cipher = Cipher(v_preferred_cipher)
        if not ((v_features & 0xfff0) == 0):
            raise DecodeError(_NAME, 'features', off + 14, f"violates `(_ & 0xfff0) == 0` (value {v_features!r})")
        off += 16
        return cls(v_timestamp, v_supported_ciphers, v_preferred_cipher, v_features), off

    def encode(self) -> bytes:
        """The wire bytes of this InitPayload; EncodeError if a value breaks the spec."""
        v_timestamp = self.timestamp
        v_supported_ciphers = self.supported_ciphers
        v_preferred_cipher = self.preferred_cipher
        v_features = self.features
        if len(v_timestamp) != 12:
            raise EncodeError(_NAME, 'timestamp', f"is {len(v_timestamp)} bytes, must be {12}")
        if not 0 <= v_supported_ciphers <= 0xff:
            raise EncodeError(_NAME, 'supported_ciphers', f"{v_supported_ciphers} does not fit in 1 byte(s)")
        if not (v_supported_ciphers != 0 and (v_supported_ciphers & 0xfc) == 0):
            raise EncodeError(_NAME, 'supported_ciphers', f"violates `_ != 0 and (_ & 0xfc) == 0` (value {v_supported_ciphers!r})")
        if not 0 <= v_preferred_cipher <= 0xff:
            raise EncodeError(_NAME, 'preferred_cipher', f"{v_preferred_cipher} does not fit in 1 byte(s)")
        if not ((v_preferred_cipher == 1 or v_preferred_cipher == 2) and (v_supported_ciphers & v_preferred_cipher) != 0):
            raise EncodeError(_NAME, 'preferred_cipher', f"violates `(_ == cipher::chacha20_poly1305 or _ == cipher::aes_256_gcm) and (supported_ciphers & _.to_i) != 0` (value {v_preferred_cipher!r})")
        if not 0 <= v_features <= 0xffff:
            raise EncodeError(_NAME, 'features', f"{v_features} does not fit in 2 byte(s)")
        if not ((v_features & 0xfff0) == 0):
            raise EncodeError(_NAME, 'features', f"violates `(_ & 0xfff0) == 0` (value {v_features!r})")
        return _RUN0.pack(v_timestamp, v_supported_ciphers, v_preferred_cipher, v_features)
