# Generated from spec/handshake_response.ksy by spec/codegen — do not edit; run `make generate`.
"""HANDSHAKE_RESPONSE (Noise IK message 2).

Server → client (spec/README.md §3). The encrypted payload is the session_config plus a 16-byte tag;
mac1 is keyed by HASH("mac1----" ‖ client static public key).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import ClassVar

from generated.codecs._runtime import Buffer, DecodeError, EncodeError, need, truncated

_NAME = "HandshakeResponse"
_RUN0 = struct.Struct('>2sBIHBII32s')
_RUN0_LAYOUT = (('magic', 0, 2), ('flags', 2, 1), ('seq', 3, 4), ('length', 7, 2), ('control_type', 9, 1), ('sender_index', 10, 4), ('receiver_index', 14, 4), ('ephemeral', 18, 32),)
_RUN2 = struct.Struct('>16s16s')
_RUN2_LAYOUT = (('mac1', 0, 16), ('mac2', 16, 16),)


@dataclass(frozen=True, slots=True)
class HandshakeResponse:
    """HANDSHAKE_RESPONSE (Noise IK message 2) (handshake_response.ksy).

    Attributes (wire order; * = computed by encode(), checked by decode(); = constant):
        magic=: Protocol magic "OX".
        flags=: CONTROL alone (0x08).
        seq=: Always 0 in handshake messages.
        length*: Bytes after the header = 73 + encrypted_payload length.
        control_type=: HANDSHAKE_RESPONSE (0x02).
        sender_index : The server's receiver index for this session (the client puts it in envelopes to the server).
        receiver_index : The sender_index of the HANDSHAKE_INIT being answered.
        ephemeral : Noise `e`, the server's ephemeral X25519 public key.
        encrypted_payload : The encrypted session_config plus 16-byte tag (at least 31 + 16 bytes).
        mac1 : MAC keyed by HASH("mac1----" ‖ client static key) over all bytes before mac1.
        mac2 : MAC keyed by a cookie over all bytes before mac2, or 16 zero bytes.
    """

    sender_index: int
    receiver_index: int
    ephemeral: bytes
    encrypted_payload: bytes
    mac1: bytes
    mac2: bytes
    magic: ClassVar[bytes] = b'OX'
    flags: ClassVar[int] = 8
    seq: ClassVar[int] = 0
    control_type: ClassVar[int] = 2

    @property
    def length(self) -> int:
        """Bytes after the header = 73 + encrypted_payload length. (computed: encrypted_payload.size + 73)."""
        return len(self.encrypted_payload) + 73

    @classmethod
    def decode(cls, data: Buffer) -> HandshakeResponse:
        """Decode exactly one HandshakeResponse from data (trailing bytes are a DecodeError)."""
        buf = data if type(data) is bytes else bytes(data)
        value, off = cls._decode(buf, 0, len(buf))
        if off != len(buf):
            raise DecodeError(_NAME, "(end)", off, f"{len(buf) - off} trailing bytes")
        return value

    @classmethod
    def decode_prefix(cls, data: Buffer, offset: int = 0) -> tuple[HandshakeResponse, int]:
        """Decode one HandshakeResponse at offset; return it and the offset after it (for streams)."""
        buf = data if type(data) is bytes else bytes(data)
        return cls._decode(buf, offset, len(buf))

    @classmethod
    def _decode(cls, buf: bytes, off: int, end: int) -> tuple[HandshakeResponse, int]:
        """Decode one HandshakeResponse from buf[off:end]; return it and the offset after it."""
        if end - off < 50:
            raise truncated(_NAME, _RUN0_LAYOUT, off, end)
        v_magic, v_flags, v_seq, v_length, v_control_type, v_sender_index, v_receiver_index, v_ephemeral = _RUN0.unpack_from(buf, off)
        if v_magic != b'OX':
            raise DecodeError(_NAME, 'magic', off, f"expected 4f58, got {v_magic.hex()}")
        if v_flags != 8:
            raise DecodeError(_NAME, 'flags', off + 2, f"must be 8, got {v_flags}")
        if v_seq != 0:
            raise DecodeError(_NAME, 'seq', off + 3, f"must be 0, got {v_seq}")
        if v_length < 120:
            raise DecodeError(_NAME, 'length', off + 7, f"must be at least 120, got {v_length}")
        if v_length > 65526:
            raise DecodeError(_NAME, 'length', off + 7, f"must be at most 65526, got {v_length}")
        if v_control_type != 2:
            raise DecodeError(_NAME, 'control_type', off + 9, f"must be 2, got {v_control_type}")
        off += 50
        n = (v_length - 73)
        if n < 0 or end - off < n:
            raise need(_NAME, 'encrypted_payload', off, end, n)
        v_encrypted_payload = buf[off:off + n]
        off += n
        if end - off < 32:
            raise truncated(_NAME, _RUN2_LAYOUT, off, end)
        v_mac1, v_mac2 = _RUN2.unpack_from(buf, off)
        off += 32
        if v_length != (len(v_encrypted_payload) + 73):
            raise DecodeError(_NAME, 'length', off, f"{v_length} disagrees with encrypted_payload.size + 73 = {(len(v_encrypted_payload) + 73)}")
        return cls(v_sender_index, v_receiver_index, v_ephemeral, v_encrypted_payload, v_mac1, v_mac2), off

    def encode(self) -> bytes:
        """The wire bytes of this HandshakeResponse; EncodeError if a value breaks the spec."""
        v_magic = b'OX'
        v_flags = 8
        v_seq = 0
        v_control_type = 2
        v_sender_index = self.sender_index
        v_receiver_index = self.receiver_index
        v_ephemeral = self.ephemeral
        v_encrypted_payload = self.encrypted_payload
        v_mac1 = self.mac1
        v_mac2 = self.mac2
        v_length = (len(v_encrypted_payload) + 73)
        if not 0 <= v_flags <= 0xff:
            raise EncodeError(_NAME, 'flags', f"{v_flags} does not fit in 1 byte(s)")
        if not 0 <= v_seq <= 0xffffffff:
            raise EncodeError(_NAME, 'seq', f"{v_seq} does not fit in 4 byte(s)")
        if not 0 <= v_length <= 0xffff:
            raise EncodeError(_NAME, 'length', f"{v_length} does not fit in 2 byte(s)")
        if v_length < 120:
            raise EncodeError(_NAME, 'length', f"must be at least 120, got {v_length}")
        if v_length > 65526:
            raise EncodeError(_NAME, 'length', f"must be at most 65526, got {v_length}")
        if not 0 <= v_control_type <= 0xff:
            raise EncodeError(_NAME, 'control_type', f"{v_control_type} does not fit in 1 byte(s)")
        if not 0 <= v_sender_index <= 0xffffffff:
            raise EncodeError(_NAME, 'sender_index', f"{v_sender_index} does not fit in 4 byte(s)")
        if not 0 <= v_receiver_index <= 0xffffffff:
            raise EncodeError(_NAME, 'receiver_index', f"{v_receiver_index} does not fit in 4 byte(s)")
        if len(v_ephemeral) != 32:
            raise EncodeError(_NAME, 'ephemeral', f"is {len(v_ephemeral)} bytes, must be {32}")
        if len(v_encrypted_payload) != (v_length - 73):
            raise EncodeError(_NAME, 'encrypted_payload', f"is {len(v_encrypted_payload)} bytes, must be {(v_length - 73)}")
        if len(v_mac1) != 16:
            raise EncodeError(_NAME, 'mac1', f"is {len(v_mac1)} bytes, must be {16}")
        if len(v_mac2) != 16:
            raise EncodeError(_NAME, 'mac2', f"is {len(v_mac2)} bytes, must be {16}")
        return b"".join((_RUN0.pack(v_magic, v_flags, v_seq, v_length, v_control_type, v_sender_index, v_receiver_index, v_ephemeral), v_encrypted_payload, _RUN2.pack(v_mac1, v_mac2)))
