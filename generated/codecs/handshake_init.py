# Generated from spec/handshake_init.ksy by spec/codegen — do not edit; run `make generate`.
"""HANDSHAKE_INIT (Noise IK message 1).

Client → server, 158 bytes (spec/README.md §3). mac1 = MAC(HASH("mac1----" ‖ server static public key),
all bytes before mac1); mac2 = MAC(cookie, all bytes before mac2), or zeros without a cookie.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import ClassVar

from generated.codecs._runtime import Buffer, DecodeError, EncodeError, truncated

_NAME = "HandshakeInit"
_RUN0 = struct.Struct('>2sBIHBI32s48s32s16s16s')
_RUN0_LAYOUT = (('magic', 0, 2), ('flags', 2, 1), ('seq', 3, 4), ('length', 7, 2), ('control_type', 9, 1), ('sender_index', 10, 4), ('ephemeral', 14, 32), ('encrypted_static', 46, 48), ('encrypted_payload', 94, 32), ('mac1', 126, 16), ('mac2', 142, 16),)


@dataclass(frozen=True, slots=True)
class HandshakeInit:
    """HANDSHAKE_INIT (Noise IK message 1) (handshake_init.ksy).

    Attributes (wire order; * = computed by encode(), checked by decode(); = constant):
        magic=: Protocol magic "OX".
        flags=: CONTROL alone (0x08).
        seq=: Always 0 in handshake messages.
        length=: Bytes after the header, always 149.
        control_type=: HANDSHAKE_INIT (0x01).
        sender_index : The client's receiver index for this session (the server puts it in envelopes to the client).
        ephemeral : Noise `e`, the client's ephemeral X25519 public key.
        encrypted_static : Noise `s`, the client's static public key encrypted (32 + 16 tag).
        encrypted_payload : The encrypted init_payload (16 + 16 tag).
        mac1 : MAC keyed by HASH("mac1----" ‖ server static key) over all bytes before mac1.
        mac2 : MAC keyed by the cookie over all bytes before mac2, or 16 zero bytes.
    """

    sender_index: int
    ephemeral: bytes
    encrypted_static: bytes
    encrypted_payload: bytes
    mac1: bytes
    mac2: bytes
    magic: ClassVar[bytes] = b'OX'
    flags: ClassVar[int] = 8
    seq: ClassVar[int] = 0
    length: ClassVar[int] = 149
    control_type: ClassVar[int] = 1

    @classmethod
    def decode(cls, data: Buffer) -> HandshakeInit:
        """Decode exactly one HandshakeInit from data (trailing bytes are a DecodeError)."""
        buf = data if type(data) is bytes else bytes(data)
        value, off = cls._decode(buf, 0, len(buf))
        if off != len(buf):
            raise DecodeError(_NAME, "(end)", off, f"{len(buf) - off} trailing bytes")
        return value

    @classmethod
    def decode_prefix(cls, data: Buffer, offset: int = 0) -> tuple[HandshakeInit, int]:
        """Decode one HandshakeInit at offset; return it and the offset after it (for streams)."""
        buf = data if type(data) is bytes else bytes(data)
        return cls._decode(buf, offset, len(buf))

    @classmethod
    def _decode(cls, buf: bytes, off: int, end: int) -> tuple[HandshakeInit, int]:
        """Decode one HandshakeInit from buf[off:end]; return it and the offset after it."""
        if end - off < 158:
            raise truncated(_NAME, _RUN0_LAYOUT, off, end)
        v_magic, v_flags, v_seq, v_length, v_control_type, v_sender_index, v_ephemeral, v_encrypted_static, v_encrypted_payload, v_mac1, v_mac2 = _RUN0.unpack_from(buf, off)
        if v_magic != b'OX':
            raise DecodeError(_NAME, 'magic', off, f"expected 4f58, got {v_magic.hex()}")
        if v_flags != 8:
            raise DecodeError(_NAME, 'flags', off + 2, f"must be 8, got {v_flags}")
        if v_seq != 0:
            raise DecodeError(_NAME, 'seq', off + 3, f"must be 0, got {v_seq}")
        if v_length != 149:
            raise DecodeError(_NAME, 'length', off + 7, f"must be 149, got {v_length}")
        if v_control_type != 1:
            raise DecodeError(_NAME, 'control_type', off + 9, f"must be 1, got {v_control_type}")
        off += 158
        return cls(v_sender_index, v_ephemeral, v_encrypted_static, v_encrypted_payload, v_mac1, v_mac2), off

    def encode(self) -> bytes:
        """The wire bytes of this HandshakeInit; EncodeError if a value breaks the spec."""
        v_magic = b'OX'
        v_flags = 8
        v_seq = 0
        v_length = 149
        v_control_type = 1
        v_sender_index = self.sender_index
        v_ephemeral = self.ephemeral
        v_encrypted_static = self.encrypted_static
        v_encrypted_payload = self.encrypted_payload
        v_mac1 = self.mac1
        v_mac2 = self.mac2
        if not 0 <= v_flags <= 0xff:
            raise EncodeError(_NAME, 'flags', f"{v_flags} does not fit in 1 byte(s)")
        if not 0 <= v_seq <= 0xffffffff:
            raise EncodeError(_NAME, 'seq', f"{v_seq} does not fit in 4 byte(s)")
        if not 0 <= v_length <= 0xffff:
            raise EncodeError(_NAME, 'length', f"{v_length} does not fit in 2 byte(s)")
        if not 0 <= v_control_type <= 0xff:
            raise EncodeError(_NAME, 'control_type', f"{v_control_type} does not fit in 1 byte(s)")
        if not 0 <= v_sender_index <= 0xffffffff:
            raise EncodeError(_NAME, 'sender_index', f"{v_sender_index} does not fit in 4 byte(s)")
        if len(v_ephemeral) != 32:
            raise EncodeError(_NAME, 'ephemeral', f"is {len(v_ephemeral)} bytes, must be {32}")
        if len(v_encrypted_static) != 48:
            raise EncodeError(_NAME, 'encrypted_static', f"is {len(v_encrypted_static)} bytes, must be {48}")
        if len(v_encrypted_payload) != 32:
            raise EncodeError(_NAME, 'encrypted_payload', f"is {len(v_encrypted_payload)} bytes, must be {32}")
        if len(v_mac1) != 16:
            raise EncodeError(_NAME, 'mac1', f"is {len(v_mac1)} bytes, must be {16}")
        if len(v_mac2) != 16:
            raise EncodeError(_NAME, 'mac2', f"is {len(v_mac2)} bytes, must be {16}")
        return _RUN0.pack(v_magic, v_flags, v_seq, v_length, v_control_type, v_sender_index, v_ephemeral, v_encrypted_static, v_encrypted_payload, v_mac1, v_mac2)
