"""Shared pieces of every generated codec: the one decode exception, QUIC varints, list-order rules.

Every generated structure raises DecodeError (structure, field, offset, reason) for every problem in
its input and EncodeError (structure, field, reason) when asked to encode a value the spec forbids.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from typing import Any

Buffer = bytes | bytearray | memoryview

VARINT_MAX = (1 << 62) - 1


class DecodeError(ValueError):
    """Bytes that are not a valid instance of a structure.

    structure: class name (e.g. "HandshakeInit"); field: the field where decoding stopped ("(end)" for
    trailing bytes); offset: byte offset in the input; reason: what is wrong. truncated is True when
    the input ended early, so that a stream reader can wait for more bytes instead of dropping.
    """

    def __init__(
        self, structure: str, field: str, offset: int, reason: str, *, truncated: bool = False
    ) -> None:
        super().__init__(f"{structure}.{field} at offset {offset}: {reason}")
        self.structure = structure
        self.field = field
        self.offset = offset
        self.reason = reason
        self.truncated = truncated


class EncodeError(ValueError):
    """A value that cannot be put on the wire (out of range, wrong size, violates a `valid` rule)."""

    def __init__(self, structure: str, field: str, reason: str) -> None:
        super().__init__(f"{structure}.{field}: {reason}")
        self.structure = structure
        self.field = field
        self.reason = reason


def truncated(structure: str, layout: Sequence[tuple[str, int, int]], off: int, end: int) -> DecodeError:
    """The error for a fixed-layout run (name, relative offset, size) that does not fit in [off, end)."""
    left = end - off
    for name, rel, size in layout:
        if rel + size > left:
            return DecodeError(
                structure, name, off + rel, f"needs {size} bytes, {max(left - rel, 0)} left", truncated=True
            )
    raise AssertionError("layout fits")  # pragma: no cover - callers check the total first


def need(structure: str, field: str, off: int, end: int, size: int) -> DecodeError:
    """The error for a variable-size field of `size` bytes that does not fit."""
    if size < 0:
        return DecodeError(structure, field, off, f"negative size {size}")
    return DecodeError(structure, field, off, f"needs {size} bytes, {end - off} left", truncated=True)


def read_varint(buf: bytes, off: int, end: int, structure: str, field: str) -> tuple[int, int]:
    """Decode a QUIC varint at off (non-minimal encodings accepted); return (value, next offset)."""
    if off >= end:
        raise DecodeError(structure, field, off, "needs 1 byte for a varint, 0 left", truncated=True)
    first = buf[off]
    size = 1 << (first >> 6)
    if end - off < size:
        raise DecodeError(
            structure, field, off, f"varint needs {size} bytes, {end - off} left", truncated=True
        )
    value = first & 0x3F
    for i in range(1, size):
        value = (value << 8) | buf[off + i]
    return value, off + size


def varint_size(value: int) -> int:
    """Length of the minimal encoding of value."""
    if value < 0x40:
        return 1
    if value < 0x4000:
        return 2
    if value < 0x4000_0000:
        return 4
    return 8


def encode_varint(value: int, length: int | None = None) -> bytes:
    """Minimal QUIC varint encoding, or exactly `length` (1, 2, 4 or 8) bytes when given."""
    if not 0 <= value <= VARINT_MAX:
        raise EncodeError("QuicVarint", "value", f"{value} outside 0 … 2^62-1")
    size = varint_size(value) if length is None else length
    if size not in (1, 2, 4, 8) or size < varint_size(value):
        raise EncodeError("QuicVarint", "length", f"{value} cannot be encoded in {size} bytes")
    prefix = {1: 0, 2: 1, 4: 2, 8: 3}[size]
    return ((prefix << (8 * size - 2)) | value).to_bytes(size, "big")


def _route_order(items: Sequence[Any]) -> str | None:
    """RFC 9484 §4.7.3: ordered by version, then protocol; within one (version, protocol) End(A) <
    Start(B); no protocol-0 range overlaps a range of another protocol of the same version."""
    previous = None
    zero_ranges: dict[int, list[tuple[bytes, bytes]]] = {}
    for index, item in enumerate(items):
        key = (item.ip_version, item.ip_protocol)
        if previous is not None:
            prev_key = (previous.ip_version, previous.ip_protocol)
            if key < prev_key:
                return f"entry {index} is out of order (version, protocol {key} after {prev_key})"
            if key == prev_key and not previous.end_address < item.start_address:
                return f"entry {index} overlaps or precedes entry {index - 1}"
        if item.ip_protocol == 0:
            zero_ranges.setdefault(item.ip_version, []).append((item.start_address, item.end_address))
        previous = item
    for index, item in enumerate(items):
        ranges = zero_ranges.get(item.ip_version)
        if item.ip_protocol == 0 or not ranges:
            continue
        pos = bisect_right(ranges, (item.end_address, b"\xff" * 17)) - 1
        if pos >= 0 and ranges[pos][1] >= item.start_address:
            return f"entry {index} (protocol {item.ip_protocol}) overlaps a protocol-0 range"
    return None


ORDER_RULES: dict[str, Callable[[Sequence[Any]], str | None]] = {
    "route_advertisement": _route_order,
}
