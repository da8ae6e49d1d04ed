# Generated from spec/masque/capsule.ksy by spec/codegen — do not edit; run `make generate`.
"""HTTP capsule.

RFC 9297 §3.2: type, length and value. Unknown types (including GREASE 0x29·N+0x17) are skipped by a
receiver. ADDRESS_ASSIGN, ADDRESS_REQUEST and ROUTE_ADVERTISEMENT values are decoded by their own
structures; DATAGRAM capsules by datagram_capsule.
"""

from __future__ import annotations

from dataclasses import dataclass

from generated.codecs._runtime import (
    VARINT_MAX,
    Buffer,
    DecodeError,
    EncodeError,
    encode_varint,
    need,
    read_varint,
)

_NAME = "Capsule"


@dataclass(frozen=True, slots=True)
class Capsule:
    """HTTP capsule (capsule.ksy).

    Attributes (wire order; * = computed by encode(), checked by decode(); = constant):
        capsule_type : Capsule type (0x00 DATAGRAM, 0x01 ADDRESS_ASSIGN, 0x02 ADDRESS_REQUEST, 0x03 ROUTE_ADVERTISEMENT, …).
        length*: Length of the value in bytes.
        value : Capsule value.
    """

    capsule_type: int
    value: bytes

    @property
    def length(self) -> int:
        """Length of the value in bytes. (computed: value.size)."""
        return len(self.value)

    @classmethod
    def decode(cls, data: Buffer) -> Capsule:
        """Decode exactly one Capsule from data (trailing bytes are a DecodeError)."""
        buf = data if type(data) is bytes else bytes(data)
        value, off = cls._decode(buf, 0, len(buf))
        if off != len(buf):
            raise DecodeError(_NAME, "(end)", off, f"{len(buf) - off} trailing bytes")
        return value

    @classmethod
    def decode_prefix(cls, data: Buffer, offset: int = 0) -> tuple[Capsule, int]:
        """Decode one Capsule at offset; return it and the offset after it (for streams)."""
        buf = data if type(data) is bytes else bytes(data)
        return cls._decode(buf, offset, len(buf))

    @classmethod
    def _decode(cls, buf: bytes, off: int, end: int) -> tuple[Capsule, int]:
        """Decode one Capsule from buf[off:end]; return it and the offset after it."""
        v_capsule_type, off = read_varint(buf, off, end, _NAME, 'capsule_type')
        v_length, off = read_varint(buf, off, end, _NAME, 'length')
        n = v_length
        if n < 0 or end - off < n:
            raise need(_NAME, 'value', off, end, n)
        v_value = buf[off:off + n]
        off += n
        if v_length != len(v_value):
            raise DecodeError(_NAME, 'length', off, f"{v_length} disagrees with value.size = {len(v_value)}")
        return cls(v_capsule_type, v_value), off

    def encode(self) -> bytes:
        """The wire bytes of this Capsule; EncodeError if a value breaks the spec."""
        v_capsule_type = self.capsule_type
        v_value = self.value
        v_length = len(v_value)
        if not 0 <= v_capsule_type <= VARINT_MAX:
            raise EncodeError(_NAME, 'capsule_type', f"{v_capsule_type} outside the varint range")
        if not 0 <= v_length <= VARINT_MAX:
            raise EncodeError(_NAME, 'length', f"{v_length} outside the varint range")
        if len(v_value) != v_length:
            raise EncodeError(_NAME, 'value', f"is {len(v_value)} bytes, must be {v_length}")
        return b"".join((encode_varint(v_capsule_type), encode_varint(v_length), v_value))
