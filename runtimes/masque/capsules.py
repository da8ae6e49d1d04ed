"""The Capsule Protocol (RFC 9297 §3) as a streaming parser, and QUIC varints that accept any encoding.

Capsules arrive in HTTP/3 DATA frames in arbitrary pieces. The reader never buffers a capsule it does
not need: unknown types (GREASE included) are skipped byte by byte as they arrive (requirement 26) and an
over-size DATAGRAM capsule is discarded the same way (requirement 32), so a peer that announces a 2^30-byte
capsule and trickles it costs us nothing. Known control capsules (ADDRESS_* / ROUTE_ADVERTISEMENT) are
bounded. A stream ending inside a capsule is a malformed message (requirement 31). Varints may use any of
the four lengths for any value (requirement 24, RFC 9000 §16).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

VARINT_MAX = (1 << 62) - 1

CAPSULE_DATAGRAM = 0x00
CAPSULE_ADDRESS_ASSIGN = 0x01
CAPSULE_ADDRESS_REQUEST = 0x02
CAPSULE_ROUTE_ADVERTISEMENT = 0x03


class MalformedCapsule(Exception):
    """The capsule stream breaks RFC 9297 §3.3: the request stream must be aborted."""


def encode_varint(value: int, length: int | None = None) -> bytes:
    """QUIC varint; minimal unless `length` (1, 2, 4 or 8) is given (tests use that for non-minimal forms)."""
    if not 0 <= value <= VARINT_MAX:
        raise ValueError(f"varint out of range: {value}")
    if length is None:
        length = 1 if value < 1 << 6 else 2 if value < 1 << 14 else 4 if value < 1 << 30 else 8
    prefix = {1: 0, 2: 1, 4: 2, 8: 3}[length]
    if value >= 1 << (8 * length - 2):
        raise ValueError(f"{value} does not fit a {length}-byte varint")
    return ((prefix << (8 * length - 2)) | value).to_bytes(length, "big")


def read_varint(data: bytes | bytearray | memoryview, pos: int = 0) -> tuple[int, int] | None:
    """(value, position after it), or None when `data` ends inside the varint."""
    if pos >= len(data):
        return None
    first = data[pos]
    length = 1 << (first >> 6)
    if pos + length > len(data):
        return None
    value = first & 0x3F
    for i in range(1, length):
        value = (value << 8) | data[pos + i]
    return value, pos + length


def encode_capsule(capsule_type: int, value: bytes) -> bytes:
    return encode_varint(capsule_type) + encode_varint(len(value)) + value


def grease_capsule() -> bytes:
    """A reserved capsule type 0x29·N + 0x17 with a short random body (RFC 9297 §5.4): sent so that peers
    which wrongly reject unknown capsule types are caught (requirement 35)."""
    n = int.from_bytes(os.urandom(2), "big") % 1000
    return encode_capsule(0x29 * n + 0x17, os.urandom(os.urandom(1)[0] % 16))


def is_grease(capsule_type: int) -> bool:
    return capsule_type >= 0x17 and (capsule_type - 0x17) % 0x29 == 0


@dataclass
class CapsuleStats:
    parsed: int = 0
    skipped_unknown: int = 0
    discarded_oversize: int = 0


class CapsuleReader:
    """Feed stream bytes, get `(type, value)` for the capsule types asked for; everything else is skipped."""

    def __init__(
        self, wanted: frozenset[int], *, max_control: int = 16384, max_datagram: int = 65535 + 16
    ) -> None:
        self.wanted = wanted
        self.max_control = max_control
        self.max_datagram = max_datagram
        self.stats = CapsuleStats()
        self._hdr = b""  # bytes of an incomplete type+length header (< 16)
        self._type: int | None = None  # the capsule being read, once its header is parsed
        self._remaining = 0
        self._skipping = False
        self._value = bytearray()

    @property
    def mid_capsule(self) -> bool:
        return bool(self._hdr) or self._type is not None

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        out: list[tuple[int, bytes]] = []
        pos, end = 0, len(data)
        while True:
            if self._type is None:
                if pos >= end:
                    break
                hdr = self._hdr + data[pos : pos + 16]
                parsed = self._parse_header(hdr)
                if parsed is None:
                    self._hdr = hdr
                    break
                pos += parsed - len(self._hdr)
                self._hdr = b""
            else:
                take = min(self._remaining, end - pos)
                if not self._skipping:
                    self._value += data[pos : pos + take]
                pos += take
                self._remaining -= take
            if self._type is not None and self._remaining == 0:
                if not self._skipping:
                    out.append((self._type, bytes(self._value)))
                    self.stats.parsed += 1
                self._type, self._value, self._skipping = None, bytearray(), False
            elif pos >= end:
                break
        return out

    def finish(self) -> None:
        """The stream ended cleanly: raise if that happened inside a capsule (requirement 31)."""
        if self.mid_capsule:
            raise MalformedCapsule("stream ended in the middle of a capsule")

    def _parse_header(self, hdr: bytes) -> int | None:
        """Parse type and length at the front of `hdr`; return the bytes used, or None if incomplete."""
        first = read_varint(hdr, 0)
        second = read_varint(hdr, first[1]) if first is not None else None
        if first is None or second is None:
            return None
        capsule_type, length = first[0], second[0]
        self._type, self._remaining, self._value, self._skipping = capsule_type, length, bytearray(), False
        if capsule_type not in self.wanted:
            self._skipping = True
            self.stats.skipped_unknown += 1
        elif capsule_type == CAPSULE_DATAGRAM and length > self.max_datagram:
            self._skipping = True
            self.stats.discarded_oversize += 1
        elif capsule_type != CAPSULE_DATAGRAM and length > self.max_control:
            raise MalformedCapsule(
                f"capsule type 0x{capsule_type:x} of {length} bytes exceeds {self.max_control}"
            )
        return second[1]
