"""Internet checksums (RFC 1071) for the TUN offload paths, fast enough to run per packet in Python.

The ones' complement sum does not depend on byte order (RFC 1071 §2(B)): numpy sums the data as
native little-endian 16-bit words in one call, and the folded result is byte-swapped once. Many
segments of one super-packet are summed by a single `np.add.reduceat`. Without numpy the sum is taken
modulo 0xFFFF of the data read as one big integer (2**16 ≡ 1 mod 0xFFFF), which is exact but slower.
Results are folded 16-bit sums in network byte order, not yet complemented.
"""

from __future__ import annotations

import struct
from typing import Any

_np: Any
try:  # numpy is a dependency on Linux; the pure-Python path keeps the runtime correct without it
    import numpy as _np
except ImportError:  # pragma: no cover - exercised by forcing `numpy_available = False` in tests
    _np = None

numpy_available = _np is not None
SMALL = 128  # below this many bytes struct.unpack beats a numpy call


def fold(total: int) -> int:
    """Fold a ones' complement sum of any size to 16 bits."""
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def sum16(data: bytes | bytearray | memoryview) -> int:
    """Folded ones' complement sum of `data` as big-endian 16-bit words (an odd tail is zero-padded)."""
    size = len(data)
    if size < SMALL or not numpy_available:
        return _sum16_python(data)
    words = _np.frombuffer(data, dtype=_np.uint16, count=size >> 1)
    total = int(words.sum(dtype=_np.uint64))
    if size & 1:
        total += data[-1]  # the pad byte sits in the high half of a big-endian word: low half here
    return _swap(fold(total))


def _sum16_python(data: bytes | bytearray | memoryview) -> int:
    size = len(data)
    if size < SMALL:
        total = sum(struct.unpack_from(f"!{size >> 1}H", data))
        if size & 1:
            total += data[-1] << 8
        return fold(total)
    padded = bytes(data) + b"\0" if size & 1 else data
    value = int.from_bytes(padded, "big") % 0xFFFF
    return value if value or not any(padded) else 0xFFFF


def segment_sums(payload: memoryview, size: int) -> list[int]:
    """For every `size`-byte segment of `payload` (the last may be shorter) a number congruent to its
    ones' complement sum modulo 0xFFFF — not folded: callers reduce modulo 0xFFFF anyway.

    The numpy path sums little-endian words; a byte swap of a 16-bit value is a multiplication by 256
    modulo 0xFFFF (2**16 ≡ 1), so one shift turns those sums into network-order ones."""
    length = len(payload)
    if not numpy_available or size & 1 or length < SMALL:
        return [sum16(payload[start:start + size]) for start in range(0, length, size)]
    found: list[int]
    full = length // size
    if not size & 3 and full > 1:  # rows of 32-bit words (2**32 ≡ 1 too): a reshape, no index array
        rows: Any = _np.frombuffer(payload, dtype=_np.uint32, count=full * size >> 2).reshape(full, size >> 2)
        found = (rows.sum(axis=1, dtype=_np.uint64) << 8).tolist()
        if length > full * size:
            found.append(sum16(payload[full * size:]))
        return found
    words = _np.frombuffer(payload, dtype=_np.uint16, count=length >> 1)
    sums: Any = _np.add.reduceat(words, _np.arange(0, length >> 1, size >> 1), dtype=_np.uint64)
    found = (sums << 8).tolist()
    if length & 1:  # the odd last byte: the high half of a zero-padded network-order word
        if (length - 1) % size:
            found[-1] += payload[-1] << 8
        else:  # it is a segment of its own
            found.append(payload[-1] << 8)
    return found


def _swap(value: int) -> int:
    return ((value & 0xFF) << 8) | (value >> 8)


def ipv4_header_checksum(header: bytes | bytearray | memoryview) -> int:
    """The checksum field value for a 20..60-byte IPv4 header (its own checksum field ignored)."""
    total = sum(struct.unpack_from(f"!{len(header) >> 1}H", header)) - (header[10] << 8 | header[11])
    return ~fold(total) & 0xFFFF


def pseudo_header_sum(src: bytes, dst: bytes, proto: int, length: int) -> int:
    """The folded pseudo-header sum a CHECKSUM_PARTIAL TCP/UDP header carries in its checksum field."""
    return fold(_sum16_python(src + dst) + proto + length)
