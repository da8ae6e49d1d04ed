# Generated from spec/masque/http_datagram.ksy by spec/codegen — do not edit; run `make generate`.
"""HTTP/3 datagram (QUIC DATAGRAM frame payload).

RFC 9297 §2.1 with the MASQUE payload of RFC 9298 §5 / RFC 9484 §6: quarter stream ID, context ID,
payload.
"""

from __future__ import annotations

from dataclasses import dataclass

from generated.codecs._runtime import VARINT_MAX, Buffer, DecodeError, EncodeError, encode_varint, read_varint

_NAME = "HttpDatagram"


@dataclass(frozen=True, slots=True)
class HttpDatagram:
    """HTTP/3 datagram (QUIC DATAGRAM frame payload) (http_datagram.ksy).

    Attributes (wire order; * = computed by encode(), checked by decode(); = constant):
        quarter_stream_id : The request stream ID divided by 4; above 2^60 − 1 is H3_DATAGRAM_ERROR.
        context_id : Context ID (0 = a full IP packet / UDP payload).
        payload : The proxied IP packet or UDP payload.
    """

    quarter_stream_id: int
    context_id: int
    payload: bytes

    @classmethod
    def decode(cls, data: Buffer) -> HttpDatagram:
        """Decode exactly one HttpDatagram from data (trailing bytes are a DecodeError)."""
        buf = data if type(data) is bytes else bytes(data)
        value, off = cls._decode(buf, 0, len(buf))
        if off != len(buf):
            raise DecodeError(_NAME, "(end)", off, f"{len(buf) - off} trailing bytes")
        return value

    @classmethod
    def decode_prefix(cls, data: Buffer, offset: int = 0) -> tuple[HttpDatagram, int]:
        """Decode one HttpDatagram at offset; return it and the offset after it (for streams)."""
        buf = data if type(data) is bytes else bytes(data)
        return cls._decode(buf, offset, len(buf))

    @classmethod
    def _decode(cls, buf: bytes, off: int, end: int) -> tuple[HttpDatagram, int]:
        """Decode one HttpDatagram from buf[off:end]; return it and the offset after it."""
        start = off
        v_quarter_stream_id, off = read_varint(buf, off, end, _NAME, 'quarter_stream_id')
        if not (v_quarter_stream_id <= 1152921504606846975):
            raise DecodeError(_NAME, 'quarter_stream_id', start, f"violates `_.value <= 1152921504606846975` (value {v_quarter_stream_id!r})")
        start = off
        v_context_id, off = read_varint(buf, off, end, _NAME, 'context_id')
        v_payload = buf[off:end]
        off = end
        return cls(v_quarter_stream_id, v_context_id, v_payload), off

    def encode(self) -> bytes:
        """The wire bytes of this HttpDatagram; EncodeError if a value breaks the spec."""
        v_quarter_stream_id = self.quarter_stream_id
        v_context_id = self.context_id
        v_payload = self.payload
        if not 0 <= v_quarter_stream_id <= VARINT_MAX:
            raise EncodeError(_NAME, 'quarter_stream_id', f"{v_quarter_stream_id} outside the varint range")
        if not (v_quarter_stream_id <= 1152921504606846975):
            raise EncodeError(_NAME, 'quarter_stream_id', f"violates `_.value <= 1152921504606846975` (value {v_quarter_stream_id!r})")
        if not 0 <= v_context_id <= VARINT_MAX:
            raise EncodeError(_NAME, 'context_id', f"{v_context_id} outside the varint range")
        return b"".join((encode_varint(v_quarter_stream_id), encode_varint(v_context_id), v_payload))
