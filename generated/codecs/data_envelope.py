# Generated from spec/data_envelope.ksy by spec/codegen — do not edit; run `make generate`.
"""OxTunnel v3 data envelope.

An envelope datagram (spec/README.md §2): header ‖ receiver_index ‖ counter ‖ body ‖ tag. The AEAD
nonce is receiver_index ‖ counter (the 12 bytes at offset 9) and the AAD is the 9-byte header. With
ENCRYPTED the body is ciphertext; without it (authenticated plaintext) the body is plaintext and the
tag is computed over header ‖ receiver_index ‖ counter ‖ body. Overhead 37 bytes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import ClassVar

from generated.codecs._runtime import Buffer, DecodeError, EncodeError, need, truncated

_NAME = "DataEnvelope"
_RUN0 = struct.Struct('>2sBIHIQ')
_RUN0_LAYOUT = (('magic', 0, 2), ('flags', 2, 1), ('seq', 3, 4), ('length', 7, 2), ('receiver_index', 9, 4), ('counter', 13, 8),)
_RUN2 = struct.Struct('>16s')
_RUN2_LAYOUT = (('tag', 0, 16),)


@dataclass(frozen=True, slots=True)
class DataEnvelope:
    """OxTunnel v3 data envelope (data_envelope.ksy).

    Attributes (wire order; * = computed by encode(), checked by decode(); = constant):
        magic=: Protocol magic "OX".
        flags : Header flags. CONTROL only together with ENCRYPTED (0x09: the plaintext is a control_message);
        seq*: Low 32 bits of `counter` (checked against it).
        length*: Bytes after the header = 4 + 8 + body length + 16.
        receiver_index : Index the receiver chose at handshake; finds the session independent of the source address.
        counter : Per keypair and direction, starts at 0, never reused; below REJECT_AFTER_MESSAGES.
        body : Ciphertext (ENCRYPTED) or authenticated plaintext of an IP packet, batch, compression envelope or control message.
        tag : AEAD tag.
    """

    flags: int
    receiver_index: int
    counter: int
    body: bytes
    tag: bytes
    magic: ClassVar[bytes] = b'OX'

    @property
    def seq(self) -> int:
        """Low 32 bits of `counter` (checked against it). (computed: counter & 0xffffffff)."""
        return self.counter & 0xffffffff

    @property
    def length(self) -> int:
        """Bytes after the header = 4 + 8 + body length + 16. (computed: body.size + 28)."""
        return len(self.body) + 28

    @classmethod
    def decode(cls, data: Buffer) -> DataEnvelope:
        """Decode exactly one DataEnvelope from data (trailing bytes are a DecodeError)."""
        buf = data if type(data) is bytes else bytes(data)
        value, off = cls._decode(buf, 0, len(buf))
        if off != len(buf):
            raise DecodeError(_NAME, "(end)", off, f"{len(buf) - off} trailing bytes")
        return value

    @classmethod
    def decode_prefix(cls, data: Buffer, offset: int = 0) -> tuple[DataEnvelope, int]:
        """Decode one DataEnvelope at offset; return it and the offset after it (for streams)."""
        buf = data if type(data) is bytes else bytes(data)
        return cls._decode(buf, offset, len(buf))

    @classmethod
    def _decode(cls, buf: bytes, off: int, end: int) -> tuple[DataEnvelope, int]:
        """Decode one DataEnvelope from buf[off:end]; return it and the offset after it."""
        if end - off < 21:
            raise truncated(_NAME, _RUN0_LAYOUT, off, end)
        v_magic, v_flags, v_seq, v_length, v_receiver_index, v_counter = _RUN0.unpack_from(buf, off)
        if v_magic != b'OX':
            raise DecodeError(_NAME, 'magic', off, f"expected 4f58, got {v_magic.hex()}")
        if not ((v_flags & 0xe0) == 0 and (v_flags & 0x14) != 0x14 and ((v_flags & 0x08) == 0 or v_flags == 0x09)):
            raise DecodeError(_NAME, 'flags', off + 2, f"violates `(_ & 0xe0) == 0 and (_ & 0x14) != 0x14 and ((_ & 0x08) == 0 or _ == 0x09)` (value {v_flags!r})")
        if v_length < 28:
            raise DecodeError(_NAME, 'length', off + 7, f"must be at least 28, got {v_length}")
        if v_length > 65526:
            raise DecodeError(_NAME, 'length', off + 7, f"must be at most 65526, got {v_length}")
        if not ((v_counter & 0xffffffff) == v_seq and v_counter < 18446744073709543423):
            raise DecodeError(_NAME, 'counter', off + 13, f"violates `(_ & 0xffffffff) == seq and _ < 18446744073709543423` (value {v_counter!r})")
        off += 21
        n = (v_length - 28)
        if n < 0 or end - off < n:
            raise need(_NAME, 'body', off, end, n)
        v_body = buf[off:off + n]
        off += n
        if end - off < 16:
            raise truncated(_NAME, _RUN2_LAYOUT, off, end)
        v_tag, = _RUN2.unpack_from(buf, off)
        off += 16
        if v_seq != (v_counter & 0xffffffff):
            raise DecodeError(_NAME, 'seq', off, f"{v_seq} disagrees with counter & 0xffffffff = {(v_counter & 0xffffffff)}")
        if v_length != (len(v_body) + 28):
            raise DecodeError(_NAME, 'length', off, f"{v_length} disagrees with body.size + 28 = {(len(v_body) + 28)}")
        return cls(v_flags, v_receiver_index, v_counter, v_body, v_tag), off

    def encode(self) -> bytes:
        """The wire bytes of this DataEnvelope; EncodeError if a value breaks the spec."""
        v_magic = b'OX'
        v_flags = self.flags
        v_receiver_index = self.receiver_index
        v_counter = self.counter
        v_body = self.body
        v_tag = self.tag
        v_seq = (v_counter & 0xffffffff)
        v_length = (len(v_body) + 28)
        if not 0 <= v_flags <= 0xff:
            raise EncodeError(_NAME, 'flags', f"{v_flags} does not fit in 1 byte(s)")
        if not ((v_flags & 0xe0) == 0 and (v_flags & 0x14) != 0x14 and ((v_flags & 0x08) == 0 or v_flags == 0x09)):
            raise EncodeError(_NAME, 'flags', f"violates `(_ & 0xe0) == 0 and (_ & 0x14) != 0x14 and ((_ & 0x08) == 0 or _ == 0x09)` (value {v_flags!r})")
        if not 0 <= v_seq <= 0xffffffff:
            raise EncodeError(_NAME, 'seq', f"{v_seq} does not fit in 4 byte(s)")
        if not 0 <= v_length <= 0xffff:
            raise EncodeError(_NAME, 'length', f"{v_length} does not fit in 2 byte(s)")
        if v_length < 28:
            raise EncodeError(_NAME, 'length', f"must be at least 28, got {v_length}")
        if v_length > 65526:
            raise EncodeError(_NAME, 'length', f"must be at most 65526, got {v_length}")
        if not 0 <= v_receiver_index <= 0xffffffff:
            raise EncodeError(_NAME, 'receiver_index', f"{v_receiver_index} does not fit in 4 byte(s)")
        if not 0 <= v_counter <= 0xffffffffffffffff:
            raise EncodeError(_NAME, 'counter', f"{v_counter} does not fit in 8 byte(s)")
        if not ((v_counter & 0xffffffff) == v_seq and v_counter < 18446744073709543423):
            raise EncodeError(_NAME, 'counter', f"violates `(_ & 0xffffffff) == seq and _ < 18446744073709543423` (value {v_counter!r})")
        if len(v_body) != (v_length - 28):
            raise EncodeError(_NAME, 'body', f"is {len(v_body)} bytes, must be {(v_length - 28)}")
        if len(v_tag) != 16:
            raise EncodeError(_NAME, 'tag', f"is {len(v_tag)} bytes, must be {16}")
        return b"".join((_RUN0.pack(v_magic, v_flags, v_seq, v_length, v_receiver_index, v_counter), v_body, _RUN2.pack(v_tag)))
