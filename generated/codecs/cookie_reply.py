# Generated from spec/cookie_reply.ksy by spec/codegen — do not edit; run `make generate`.
"""COOKIE_REPLY.

Server → client under load instead of a HANDSHAKE_RESPONSE (58 bytes). encrypted_cookie =
ChaCha20-Poly1305(key HASH("cookie--" ‖ server static public key), nonce, cookie, AAD = mac1 of the INIT).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import ClassVar

from generated.codecs._runtime import Buffer, DecodeError, EncodeError, truncated

_NAME = "CookieReply"
_RUN0 = struct.Struct('>2sBIHBI12s32s')
_RUN0_LAYOUT = (('magic', 0, 2), ('flags', 2, 1), ('seq', 3, 4), ('length', 7, 2), ('control_type', 9, 1), ('receiver_index', 10, 4), ('nonce', 14, 12), ('encrypted_cookie', 26, 32),)


@dataclass(frozen=True, slots=True)
class CookieReply:
    """COOKIE_REPLY (cookie_reply.ksy).

    Attributes (wire order; * = computed by encode(), checked by decode(); = constant):
        magic=: Protocol magic "OX".
        flags=: CONTROL alone (0x08).
        seq=: Always 0 in handshake messages.
        length=: Bytes after the header, always 49.
        control_type=: COOKIE_REPLY (0x0A).
        receiver_index : The sender_index of the HANDSHAKE_INIT being answered.
        nonce : Random AEAD nonce.
        encrypted_cookie : The 16-byte cookie encrypted, plus 16-byte tag.
    """

    receiver_index: int
    nonce: bytes
    encrypted_cookie: bytes
    magic: ClassVar[bytes] = b'OX'
    flags: ClassVar[int] = 8
    seq: ClassVar[int] = 0
    length: ClassVar[int] = 49
    control_type: ClassVar[int] = 10

    @classmethod
    def decode(cls, data: Buffer) -> CookieReply:
        """Decode exactly one CookieReply from data (trailing bytes are a DecodeError)."""
        buf = data if type(data) is bytes else bytes(data)
        value, off = cls._decode(buf, 0, len(buf))
        if off != len(buf):
            raise DecodeError(_NAME, "(end)", off, f"{len(buf) - off} trailing bytes")
        return value

    @classmethod
    def decode_prefix(cls, data: Buffer, offset: int = 0) -> tuple[CookieReply, int]:
        """Decode one CookieReply at offset; return it and the offset after it (for streams)."""
        buf = data if type(data) is bytes else bytes(data)
        return cls._decode(buf, offset, len(buf))

    @classmethod
    def _decode(cls, buf: bytes, off: int, end: int) -> tuple[CookieReply, int]:
        """Decode one CookieReply from buf[off:end]; return it and the offset after it."""
        if end - off < 58:
            raise truncated(_NAME, _RUN0_LAYOUT, off, end)
        v_magic, v_flags, v_seq, v_length, v_control_type, v_receiver_index, v_nonce, v_encrypted_cookie = _RUN0.unpack_from(buf, off)
        if v_magic != b'OX':
            raise DecodeError(_NAME, 'magic', off, f"expected 4f58, got {v_magic.hex()}")
        if v_flags != 8:
            raise DecodeError(_NAME, 'flags', off + 2, f"must be 8, got {v_flags}")
        if v_seq != 0:
            raise DecodeError(_NAME, 'seq', off + 3, f"must be 0, got {v_seq}")
        if v_length != 49:
            raise DecodeError(_NAME, 'length', off + 7, f"must be 49, got {v_length}")
        if v_control_type != 10:
            raise DecodeError(_NAME, 'control_type', off + 9, f"must be 10, got {v_control_type}")
        off += 58
        return cls(v_receiver_index, v_nonce, v_encrypted_cookie), off

    def encode(self) -> bytes:
        """The wire bytes of this CookieReply; EncodeError if a value breaks the spec."""
        v_magic = b'OX'
        v_flags = 8
        v_seq = 0
        v_length = 49
        v_control_type = 10
        v_receiver_index = self.receiver_index
        v_nonce = self.nonce
        v_encrypted_cookie = self.encrypted_cookie
        if not 0 <= v_flags <= 0xff:
            raise EncodeError(_NAME, 'flags', f"{v_flags} does not fit in 1 byte(s)")
        if not 0 <= v_seq <= 0xffffffff:
            raise EncodeError(_NAME, 'seq', f"{v_seq} does not fit in 4 byte(s)")
        if not 0 <= v_length <= 0xffff:
            raise EncodeError(_NAME, 'length', f"{v_length} does not fit in 2 byte(s)")
        if not 0 <= v_control_type <= 0xff:
            raise EncodeError(_NAME, 'control_type', f"{v_control_type} does not fit in 1 byte(s)")
        if not 0 <= v_receiver_index <= 0xffffffff:
            raise EncodeError(_NAME, 'receiver_index', f"{v_receiver_index} does not fit in 4 byte(s)")
        if len(v_nonce) != 12:
            raise EncodeError(_NAME, 'nonce', f"is {len(v_nonce)} bytes, must be {12}")
        if len(v_encrypted_cookie) != 32:
            raise EncodeError(_NAME, 'encrypted_cookie', f"is {len(v_encrypted_cookie)} bytes, must be {32}")
        return _RUN0.pack(v_magic, v_flags, v_seq, v_length, v_control_type, v_receiver_index, v_nonce, v_encrypted_cookie)
