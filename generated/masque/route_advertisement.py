# Generated from spec/masque/route_advertisement.ksy by spec/codegen — do not edit; run `make generate`.
"""ROUTE_ADVERTISEMENT capsule value.

Value of a ROUTE_ADVERTISEMENT capsule (type 0x03, RFC 9484 §4.7.3): the full list of reachable ranges,
ordered by IP version, then IP protocol, then address, and not overlapping within one version and
protocol (the codec checks the order; the Kaitai parser reads the entries only).
"""

from __future__ import annotations

from dataclasses import dataclass

from generated.codecs._runtime import ORDER_RULES, Buffer, DecodeError, EncodeError
from generated.masque.ip_address_range import IpAddressRange

_NAME = "RouteAdvertisement"


@dataclass(frozen=True, slots=True)
class RouteAdvertisement:
    """ROUTE_ADVERTISEMENT capsule value (route_advertisement.ksy).

    Attributes (wire order; * = computed by encode(), checked by decode(); = constant):
        ip_address_ranges : The advertised ranges, in RFC 9484 order.
    """

    ip_address_ranges: tuple[IpAddressRange, ...]

    @classmethod
    def decode(cls, data: Buffer) -> RouteAdvertisement:
        """Decode exactly one RouteAdvertisement from data (trailing bytes are a DecodeError)."""
        buf = data if type(data) is bytes else bytes(data)
        value, off = cls._decode(buf, 0, len(buf))
        if off != len(buf):
            raise DecodeError(_NAME, "(end)", off, f"{len(buf) - off} trailing bytes")
        return value

    @classmethod
    def decode_prefix(cls, data: Buffer, offset: int = 0) -> tuple[RouteAdvertisement, int]:
        """Decode one RouteAdvertisement at offset; return it and the offset after it (for streams)."""
        buf = data if type(data) is bytes else bytes(data)
        return cls._decode(buf, offset, len(buf))

    @classmethod
    def _decode(cls, buf: bytes, off: int, end: int) -> tuple[RouteAdvertisement, int]:
        """Decode one RouteAdvertisement from buf[off:end]; return it and the offset after it."""
        items_ip_address_ranges = []
        while off < end:
            item_ip_address_ranges, off = IpAddressRange._decode(buf, off, end)
            items_ip_address_ranges.append(item_ip_address_ranges)
        v_ip_address_ranges = tuple(items_ip_address_ranges)
        problem = ORDER_RULES['route_advertisement'](v_ip_address_ranges)
        if problem:
            raise DecodeError(_NAME, 'ip_address_ranges', off, problem)
        return cls(v_ip_address_ranges), off

    def encode(self) -> bytes:
        """The wire bytes of this RouteAdvertisement; EncodeError if a value breaks the spec."""
        v_ip_address_ranges = self.ip_address_ranges
        b_ip_address_ranges = b"".join(item.encode() for item in v_ip_address_ranges)
        problem = ORDER_RULES['route_advertisement'](v_ip_address_ranges)
        if problem:
            raise EncodeError(_NAME, 'ip_address_ranges', problem)
        return b_ip_address_ranges
