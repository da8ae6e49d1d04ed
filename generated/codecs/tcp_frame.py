# Generated from spec/tcp_frame.ksy by spec/codegen — do not edit; run `make generate`.
"""TCP stream frame.

On TCP port 51821 both directions carry a sequence of frames, each one OxTunnel datagram.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from generated.codecs._runtime import Buffer, DecodeError, EncodeError, need, truncated

_NAME = "TcpFrame"
_RUN0 = struct.Struct('>H')
_RUN0_LAYOUT = (('frame_length', 0, 2),)


@dataclass(frozen=True, slots=True)
class TcpFrame:
    """TCP stream frame (tcp_frame.ksy).

    Attributes (wire order; * = computed by encode(), checked by decode(); = constant):
        frame_length*: Length of the datagram that follows, 9 … 65535.
        datagram : One OxTunnel datagram (header included).
    """

    datagram: bytes

    @property
    def frame_length(self) -> int:
        """Length of the datagram that follows, 9 … 65535. (computed: datagram.size)."""
        return len(self.datagram)

    @classmethod
    def decode(cls, data: Buffer) -> TcpFrame:
        """Decode exactly one TcpFrame from data (trailing bytes are a DecodeError)."""
        buf = data if type(data) is bytes else bytes(data)
        value, off = cls._decode(buf, 0, len(buf))
        if off != len(buf):
            raise DecodeError(_NAME, "(end)", off, f"{len(buf) - off} trailing bytes")
        return value

    @classmethod
    def decode_prefix(cls, data: Buffer, offset: int = 0) -> tuple[TcpFrame, int]:
        """Decode one TcpFrame at offset; return it and the offset after it (for streams)."""
        buf = data if type(data) is bytes else bytes(data)
        return cls._decode(buf, offset, len(buf))

    @classmethod
    def _decode(cls, buf: bytes, off: int, end: int) -> tuple[TcpFrame, int]:
        """Decode one TcpFrame from buf[off:end]; return it and the offset after it."""
        if end - off < 2:
            raise truncated(_NAME, _RUN0_LAYOUT, off, end)
        v_frame_length, = _RUN0.unpack_from(buf, off)
        if v_frame_length < 9:
            raise DecodeError(_NAME, 'frame_length', off, f"must be at least 9, got {v_frame_length}")
        off += 2
        n = v_frame_length
        if n < 0 or end - off < n:
            raise need(_NAME, 'datagram', off, end, n)
        v_datagram = buf[off:off + n]
        off += n
        if v_frame_length != len(v_datagram):
            raise DecodeError(_NAME, 'frame_length', off, f"{v_frame_length} disagrees with datagram.size = {len(v_datagram)}")
        return cls(v_datagram), off

    def encode(self) -> bytes:
        """The wire bytes of this TcpFrame; EncodeError if a value breaks the spec."""
        v_datagram = self.datagram
        v_frame_length = len(v_datagram)
        if not 0 <= v_frame_length <= 0xffff:
            raise EncodeError(_NAME, 'frame_length', f"{v_frame_length} does not fit in 2 byte(s)")
        if v_frame_length < 9:
            raise EncodeError(_NAME, 'frame_length', f"must be at least 9, got {v_frame_length}")
        if len(v_datagram) != v_frame_length:
            raise EncodeError(_NAME, 'datagram', f"is {len(v_datagram)} bytes, must be {v_frame_length}")
        return b"".join((_RUN0.pack(v_frame_length), v_datagram))
