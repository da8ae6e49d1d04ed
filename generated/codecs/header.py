# Generated from spec/header.ksy by spec/codegen — do not edit; run `make generate`.
"""OxTunnel v3 packet header.

The 9-byte header that starts every OxTunnel v3 datagram (spec/README.md §1). `length` counts the
bytes after the header and must equal the datagram length minus 9; a receiver checks that against the
datagram (the datagram structures below check it by construction).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import ClassVar

from generated.codecs._runtime import Buffer, DecodeError, EncodeError, truncated

_NAME = "Header"
_RUN0 = struct.Struct('>2sBIH')
_RUN0_LAYOUT = (('magic', 0, 2), ('flags', 2, 1), ('seq', 3, 4), ('length', 7, 2),)


@dataclass(frozen=True, slots=True)
class Header:
    """OxTunnel v3 packet header (header.ksy).

    Attributes (wire order; * = computed by encode(), checked by decode(); = constant):
        magic=: Protocol magic "OX" (0x4F58).
        flags : Flag bits: 0x01 ENCRYPTED, 0x02 COMPRESSED, 0x04 BATCH, 0x08 CONTROL, 0x10 IPV6. Bits 0xE0 are
        seq : 0 in handshake messages; in envelopes the low 32 bits of the envelope counter.
        length : Bytes after the header (= datagram length − 9). At least 28 (the smallest envelope).
    """

    flags: int
    seq: int
    length: int
    magic: ClassVar[bytes] = b'OX'

    @classmethod
    def decode(cls, data: Buffer) -> Header:
        """Decode exactly one Header from data (trailing bytes are a DecodeError)."""
        buf = data if type(data) is bytes else bytes(data)
        value, off = cls._decode(buf, 0, len(buf))
        if off != len(buf):
            raise DecodeError(_NAME, "(end)", off, f"{len(buf) - off} trailing bytes")
        return value

    @classmethod
    def decode_prefix(cls, data: Buffer, offset: int = 0) -> tuple[Header, int]:
        """Decode one Header at offset; return it and the offset after it (for streams)."""
        buf = data if type(data) is bytes else bytes(data)
        return cls._decode(buf, offset, len(buf))

    @classmethod
    def _decode(cls, buf: bytes, off: int, end: int) -> tuple[Header, int]:
        """Decode one Header from buf[off:end]; return it and the offset after it."""
        if end - off < 9:
            raise truncated(_NAME, _RUN0_LAYOUT, off, end)
        v_magic, v_flags, v_seq, v_length = _RUN0.unpack_from(buf, off)
        if v_magic != b'OX':
            raise DecodeError(_NAME, 'magic', off, f"expected 4f58, got {v_magic.hex()}")
        if not ((v_flags & 0xe0) == 0 and (v_flags & 0x14) != 0x14 and ((v_flags & 0x08) == 0 or v_flags == 0x08 or v_flags == 0x09)):
            raise DecodeError(_NAME, 'flags', off + 2, f"violates `(_ & 0xe0) == 0 and (_ & 0x14) != 0x14 and ((_ & 0x08) == 0 or _ == 0x08 or _ == 0x09)` (value {v_flags!r})")
        if v_length < 28:
            raise DecodeError(_NAME, 'length', off + 7, f"must be at least 28, got {v_length}")
        if v_length > 65526:
            raise DecodeError(_NAME, 'length', off + 7, f"must be at most 65526, got {v_length}")
        off += 9
        return cls(v_flags, v_seq, v_length), off

    def encode(self) -> bytes:
        """The wire bytes of this Header; EncodeError if a value breaks the spec."""
        v_magic = b'OX'
        v_flags = self.flags
        v_seq = self.seq
        v_length = self.length
        if not 0 <= v_flags <= 0xff:
            raise EncodeError(_NAME, 'flags', f"{v_flags} does not fit in 1 byte(s)")
        if not ((v_flags & 0xe0) == 0 and (v_flags & 0x14) != 0x14 and ((v_flags & 0x08) == 0 or v_flags == 0x08 or v_flags == 0x09)):
            raise EncodeError(_NAME, 'flags', f"violates `(_ & 0xe0) == 0 and (_ & 0x14) != 0x14 and ((_ & 0x08) == 0 or _ == 0x08 or _ == 0x09)` (value {v_flags!r})")
        if not 0 <= v_seq <= 0xffffffff:
            raise EncodeError(_NAME, 'seq', f"{v_seq} does not fit in 4 byte(s)")
        if not 0 <= v_length <= 0xffff:
            raise EncodeError(_NAME, 'length', f"{v_length} does not fit in 2 byte(s)")
        if v_length < 28:
            raise EncodeError(_NAME, 'length', f"must be at least 28, got {v_length}")
        if v_length > 65526:
            raise EncodeError(_NAME, 'length', f"must be at most 65526, got {v_length}")
        return _RUN0.pack(v_magic, v_flags, v_seq, v_length)
