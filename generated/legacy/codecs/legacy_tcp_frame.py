# Generated from spec/legacy/legacy_tcp_frame.ksy by spec/codegen — do not edit; run `make generate`.
"""Legacy TCP frame.

TCP port 51821 (§6.2): u16 **big-endian** length ‖ V1 packet; the server closes on length > 9216.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from generated.codecs._runtime import Buffer, DecodeError, EncodeError, need, truncated

_NAME = "LegacyTcpFrame"
_RUN0 = struct.Struct('>H')
_RUN0_LAYOUT = (('frame_length', 0, 2),)


@dataclass(frozen=True, slots=True)
class LegacyTcpFrame:
    """Legacy TCP frame (legacy_tcp_frame.ksy).

    Attributes (wire order; * = computed by encode(), checked by decode(); = constant):
        frame_length*: Length of the packet, 1 … 9216 (0 gives "Packet too short"), big-endian.
        packet : One legacy V1 packet.
    """

    packet: bytes

    @property
    def frame_length(self) -> int:
        """Length of the packet, 1 … 9216 (0 gives "Packet too short"), big-endian. (computed: packet.size)."""
        return len(self.packet)

    @classmethod
    def decode(cls, data: Buffer) -> LegacyTcpFrame:
        """Decode exactly one LegacyTcpFrame from data (trailing bytes are a DecodeError)."""
        buf = data if type(data) is bytes else bytes(data)
        value, off = cls._decode(buf, 0, len(buf))
        if off != len(buf):
            raise DecodeError(_NAME, "(end)", off, f"{len(buf) - off} trailing bytes")
        return value

    @classmethod
    def decode_prefix(cls, data: Buffer, offset: int = 0) -> tuple[LegacyTcpFrame, int]:
        """Decode one LegacyTcpFrame at offset; return it and the offset after it (for streams)."""
        buf = data if type(data) is bytes else bytes(data)
        return cls._decode(buf, offset, len(buf))

    @classmethod
    def _decode(cls, buf: bytes, off: int, end: int) -> tuple[LegacyTcpFrame, int]:
        """Decode one LegacyTcpFrame from buf[off:end]; return it and the offset after it."""
        if end - off < 2:
            raise truncated(_NAME, _RUN0_LAYOUT, off, end)
        v_frame_length, = _RUN0.unpack_from(buf, off)
        if v_frame_length < 1:
            raise DecodeError(_NAME, 'frame_length', off, f"must be at least 1, got {v_frame_length}")
        if v_frame_length > 9216:
            raise DecodeError(_NAME, 'frame_length', off, f"must be at most 9216, got {v_frame_length}")
        off += 2
        n = v_frame_length
        if n < 0 or end - off < n:
            raise need(_NAME, 'packet', off, end, n)
        v_packet = buf[off:off + n]
        off += n
        if v_frame_length != len(v_packet):
            raise DecodeError(_NAME, 'frame_length', off, f"{v_frame_length} disagrees with packet.size = {len(v_packet)}")
        return cls(v_packet), off

    def encode(self) -> bytes:
        """The wire bytes of this LegacyTcpFrame; EncodeError if a value breaks the spec."""
        v_packet = self.packet
        v_frame_length = len(v_packet)
        if not 0 <= v_frame_length <= 0xffff:
            raise EncodeError(_NAME, 'frame_length', f"{v_frame_length} does not fit in 2 byte(s)")
        if v_frame_length < 1:
            raise EncodeError(_NAME, 'frame_length', f"must be at least 1, got {v_frame_length}")
        if v_frame_length > 9216:
            raise EncodeError(_NAME, 'frame_length', f"must be at most 9216, got {v_frame_length}")
        if len(v_packet) != v_frame_length:
            raise EncodeError(_NAME, 'packet', f"is {len(v_packet)} bytes, must be {v_frame_length}")
        return b"".join((_RUN0.pack(v_frame_length), v_packet))
