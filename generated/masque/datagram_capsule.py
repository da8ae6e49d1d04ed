# Generated from spec/masque/datagram_capsule.ksy by spec/codegen — do not edit; run `make generate`.
"""DATAGRAM capsule carrying a proxied payload.

RFC 9297 §3.5 DATAGRAM capsule (type 0x00) whose HTTP Datagram Payload is a MASQUE context ID and
payload (RFC 9298 §5, RFC 9484 §6): the in-stream form of an http_datagram.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from generated.codecs._runtime import (
    VARINT_MAX,
    Buffer,
    DecodeError,
    EncodeError,
    encode_varint,
    need,
    read_varint,
    varint_size,
)

_NAME = "DatagramCapsule"


@dataclass(frozen=True, slots=True)
class DatagramCapsule:
    """DATAGRAM capsule carrying a proxied payload (datagram_capsule.ksy).

    Attributes (wire order; * = computed by encode(), checked by decode(); = constant):
        capsule_type=: DATAGRAM (0x00).
        length*: Length of the value = encoded context_id + payload.
        context_id : Context ID (0 = a full IP packet / UDP payload; even = client-allocated, odd = proxy-allocated).
        payload : The proxied IP packet or UDP payload.
    """

    context_id: int
    payload: bytes
    capsule_type: ClassVar[int] = 0

    @property
    def length(self) -> int:
        """Length of the value = encoded context_id + payload. (computed: context_id.len + payload.size)."""
        return varint_size(self.context_id) + len(self.payload)

    @classmethod
    def decode(cls, data: Buffer) -> DatagramCapsule:
        """Decode exactly one DatagramCapsule from data (trailing bytes are a DecodeError)."""
        buf = data if type(data) is bytes else bytes(data)
        value, off = cls._decode(buf, 0, len(buf))
        if off != len(buf):
            raise DecodeError(_NAME, "(end)", off, f"{len(buf) - off} trailing bytes")
        return value

    @classmethod
    def decode_prefix(cls, data: Buffer, offset: int = 0) -> tuple[DatagramCapsule, int]:
        """Decode one DatagramCapsule at offset; return it and the offset after it (for streams)."""
        buf = data if type(data) is bytes else bytes(data)
        return cls._decode(buf, offset, len(buf))

    @classmethod
    def _decode(cls, buf: bytes, off: int, end: int) -> tuple[DatagramCapsule, int]:
        """Decode one DatagramCapsule from buf[off:end]; return it and the offset after it."""
        start = off
        v_capsule_type, off = read_varint(buf, off, end, _NAME, 'capsule_type')
        if not (v_capsule_type == 0):
            raise DecodeError(_NAME, 'capsule_type', start, f"violates `_.value == 0` (value {v_capsule_type!r})")
        start = off
        v_length, off = read_varint(buf, off, end, _NAME, 'length')
        start = off
        v_context_id, off = read_varint(buf, off, end, _NAME, 'context_id')
        len_context_id = off - start
        n = (v_length - len_context_id)
        if n < 0 or end - off < n:
            raise need(_NAME, 'payload', off, end, n)
        v_payload = buf[off:off + n]
        off += n
        if v_length != (len_context_id + len(v_payload)):
            raise DecodeError(_NAME, 'length', off, f"{v_length} disagrees with context_id.len + payload.size = {(len_context_id + len(v_payload))}")
        return cls(v_context_id, v_payload), off

    def encode(self) -> bytes:
        """The wire bytes of this DatagramCapsule; EncodeError if a value breaks the spec."""
        v_capsule_type = 0
        v_context_id = self.context_id
        v_payload = self.payload
        v_length = (varint_size(v_context_id) + len(v_payload))
        if not 0 <= v_capsule_type <= VARINT_MAX:
            raise EncodeError(_NAME, 'capsule_type', f"{v_capsule_type} outside the varint range")
        if not 0 <= v_length <= VARINT_MAX:
            raise EncodeError(_NAME, 'length', f"{v_length} outside the varint range")
        if not 0 <= v_context_id <= VARINT_MAX:
            raise EncodeError(_NAME, 'context_id', f"{v_context_id} outside the varint range")
        if len(v_payload) != (v_length - varint_size(v_context_id)):
            raise EncodeError(_NAME, 'payload', f"is {len(v_payload)} bytes, must be {(v_length - varint_size(v_context_id))}")
        return b"".join((encode_varint(v_capsule_type), encode_varint(v_length), encode_varint(v_context_id), v_payload))
