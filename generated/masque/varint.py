# Generated from spec/masque/quic_varint.ksy by spec/codegen — do not edit; run `make generate`.
"""QUIC variable-length integer (RFC 9000 §16) as a structure that remembers its encoded length.

Decoding accepts non-minimal encodings; encoding is minimal unless `encoded_length` is set. decode()
sets encoded_length only for a non-minimal encoding, so that decode(encode(x)) == x and
encode(decode(b)) == b.
"""

from __future__ import annotations

from dataclasses import dataclass

from generated.codecs._runtime import (
    Buffer,
    DecodeError,
    EncodeError,
    encode_varint,
    read_varint,
    varint_size,
)

_NAME = "QuicVarint"


@dataclass(frozen=True, slots=True)
class QuicVarint:
    """QUIC varint: value (0 … 2^62 − 1) and, optionally, the encoded length (1, 2, 4 or 8)."""

    value: int
    encoded_length: int | None = None

    @classmethod
    def decode(cls, data: Buffer) -> QuicVarint:
        """Decode exactly one varint (trailing bytes are a DecodeError)."""
        buf = data if type(data) is bytes else bytes(data)
        value, off = cls.decode_prefix(buf)
        if off != len(buf):
            raise DecodeError(_NAME, "(end)", off, f"{len(buf) - off} trailing bytes")
        return value

    @classmethod
    def decode_prefix(cls, data: Buffer, offset: int = 0) -> tuple[QuicVarint, int]:
        """Decode one varint at offset; return it and the offset after it."""
        buf = data if type(data) is bytes else bytes(data)
        value, end = read_varint(buf, offset, len(buf), _NAME, "value")
        size = end - offset
        return cls(value, None if size == varint_size(value) else size), end

    def encode(self) -> bytes:
        """Minimal encoding, or exactly encoded_length bytes."""
        try:
            return encode_varint(self.value, self.encoded_length)
        except EncodeError as exc:
            raise EncodeError(_NAME, exc.field, exc.reason) from None

    @property
    def length(self) -> int:
        """Encoded length in bytes."""
        return self.encoded_length or varint_size(self.value)

    @property
    def minimal(self) -> bool:
        """Whether the encoding is the shortest one."""
        return self.encoded_length in (None, varint_size(self.value))


def decode_varint(data: Buffer, offset: int = 0) -> tuple[int, int]:
    """(value, next offset) of the varint at offset."""
    buf = data if type(data) is bytes else bytes(data)
    return read_varint(buf, offset, len(buf), _NAME, "value")
