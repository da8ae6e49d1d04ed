# Generated from spec/legacy/legacy_packet.ksy by spec/codegen — do not edit; run `make generate`.
"""Legacy (Rust Oxidize) V1 packet.

What the Rust Oxidize code puts in every UDP datagram except PING/PONG (legacy-dialect.md §1.1):
a little-endian 9-byte header and the payload. All 8 flag bits are flags (no reserved bits); the
server ignores trailing bytes after the payload, this codec rejects them (a conforming sender sends none).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import ClassVar

from generated.codecs._runtime import Buffer, DecodeError, EncodeError, need, truncated

_NAME = "LegacyPacket"
_RUN0 = struct.Struct('<2sBIH')
_RUN0_LAYOUT = (('magic', 0, 2), ('flags', 2, 1), ('seq_num', 3, 4), ('payload_len', 7, 2),)


@dataclass(frozen=True, slots=True)
class LegacyPacket:
    """Legacy (Rust Oxidize) V1 packet (legacy_packet.ksy).

    Attributes (wire order; * = computed by encode(), checked by decode(); = constant):
        magic=: Protocol magic "OX".
        flags : 0x01 ENCRYPTED, 0x02 COMPRESSED, 0x04 BATCH, 0x08 CONTROL, 0x10 IPV6 (never used), 0x20 ACK_REQUEST (never used).
        seq_num : Sequence number, little-endian; the nonce counter of encrypted packets, 0 in handshakes.
        payload_len*: Payload length (ciphertext plus 16-byte tag when encrypted), at most 9207 (9216 − 9).
        payload : Plaintext, or ChaCha20-Poly1305 ciphertext ‖ tag (nonce 0000_0000 ‖ u64le(seq_num), empty AAD).
    """

    flags: int
    seq_num: int
    payload: bytes
    magic: ClassVar[bytes] = b'OX'

    @property
    def payload_len(self) -> int:
        """Payload length (ciphertext plus 16-byte tag when encrypted), at most 9207 (9216 − 9). (computed: payload.size)."""
        return len(self.payload)

    @classmethod
    def decode(cls, data: Buffer) -> LegacyPacket:
        """Decode exactly one LegacyPacket from data (trailing bytes are a DecodeError)."""
        buf = data if type(data) is bytes else bytes(data)
        value, off = cls._decode(buf, 0, len(buf))
        if off != len(buf):
            raise DecodeError(_NAME, "(end)", off, f"{len(buf) - off} trailing bytes")
        return value

    @classmethod
    def decode_prefix(cls, data: Buffer, offset: int = 0) -> tuple[LegacyPacket, int]:
        """Decode one LegacyPacket at offset; return it and the offset after it (for streams)."""
        buf = data if type(data) is bytes else bytes(data)
        return cls._decode(buf, offset, len(buf))

    @classmethod
    def _decode(cls, buf: bytes, off: int, end: int) -> tuple[LegacyPacket, int]:
        """Decode one LegacyPacket from buf[off:end]; return it and the offset after it."""
        if end - off < 9:
            raise truncated(_NAME, _RUN0_LAYOUT, off, end)
        v_magic, v_flags, v_seq_num, v_payload_len = _RUN0.unpack_from(buf, off)
        if v_magic != b'OX':
            raise DecodeError(_NAME, 'magic', off, f"expected 4f58, got {v_magic.hex()}")
        if v_payload_len > 9207:
            raise DecodeError(_NAME, 'payload_len', off + 7, f"must be at most 9207, got {v_payload_len}")
        off += 9
        n = v_payload_len
        if n < 0 or end - off < n:
            raise need(_NAME, 'payload', off, end, n)
        v_payload = buf[off:off + n]
        off += n
        if v_payload_len != len(v_payload):
            raise DecodeError(_NAME, 'payload_len', off, f"{v_payload_len} disagrees with payload.size = {len(v_payload)}")
        return cls(v_flags, v_seq_num, v_payload), off

    def encode(self) -> bytes:
        """The wire bytes of this LegacyPacket; EncodeError if a value breaks the spec."""
        v_magic = b'OX'
        v_flags = self.flags
        v_seq_num = self.seq_num
        v_payload = self.payload
        v_payload_len = len(v_payload)
        if not 0 <= v_flags <= 0xff:
            raise EncodeError(_NAME, 'flags', f"{v_flags} does not fit in 1 byte(s)")
        if not 0 <= v_seq_num <= 0xffffffff:
            raise EncodeError(_NAME, 'seq_num', f"{v_seq_num} does not fit in 4 byte(s)")
        if not 0 <= v_payload_len <= 0xffff:
            raise EncodeError(_NAME, 'payload_len', f"{v_payload_len} does not fit in 2 byte(s)")
        if v_payload_len > 9207:
            raise EncodeError(_NAME, 'payload_len', f"must be at most 9207, got {v_payload_len}")
        if len(v_payload) != v_payload_len:
            raise EncodeError(_NAME, 'payload', f"is {len(v_payload)} bytes, must be {v_payload_len}")
        return b"".join((_RUN0.pack(v_magic, v_flags, v_seq_num, v_payload_len), v_payload))
