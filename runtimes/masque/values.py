"""CONNECT-IP capsule values (RFC 9484 §4.7) with the semantic checks the proxy must enforce.

Bytes are decoded and encoded by the generated codecs (`generated.masque`); the checks here are the rules a
byte layout cannot express: prefix length within the family, host bits zero (requirements 55, 58),
non-zero request IDs and at least one entry in ADDRESS_REQUEST (60), route ordering and the
protocol-0 overlap rule (63). Any violation raises MalformedCapsule: the stream is aborted (64).
"""

from __future__ import annotations

from generated.masque import (
    AddressAssign,
    AddressRequest,
    DecodeError,
    IpAddressRange,
    MasqueAddress,
    RouteAdvertisement,
)
from runtimes.masque.capsules import MalformedCapsule

_FAMILY_BYTES = {4: 4, 6: 16}


def _check_address(entry: MasqueAddress) -> MasqueAddress:
    bits = _FAMILY_BYTES[entry.ip_version] * 8
    if entry.ip_prefix_length > bits:
        raise MalformedCapsule(f"prefix length {entry.ip_prefix_length} exceeds {bits} bits")
    if int.from_bytes(entry.ip_address, "big") & ((1 << (bits - entry.ip_prefix_length)) - 1):
        raise MalformedCapsule("host bits below the prefix length are not zero")
    return entry


def decode_addresses(value: bytes) -> list[MasqueAddress]:
    """ADDRESS_ASSIGN body: a list of entries that must consume `value` exactly."""
    try:
        entries = AddressAssign.decode(value).assigned_addresses
    except DecodeError as exc:
        raise MalformedCapsule(str(exc)) from None
    return [_check_address(e) for e in entries]


def decode_address_request(value: bytes) -> list[MasqueAddress]:
    try:
        entries = AddressRequest.decode(value).requested_addresses
    except DecodeError as exc:
        raise MalformedCapsule(str(exc)) from None
    if not entries:
        raise MalformedCapsule("ADDRESS_REQUEST with no entries")
    if any(e.request_id == 0 for e in entries):
        raise MalformedCapsule("ADDRESS_REQUEST with request ID 0")
    return [_check_address(e) for e in entries]


def encode_address_request(entries: list[MasqueAddress]) -> bytes:
    """ADDRESS_REQUEST body (at least one entry, non-zero request IDs: requirement 60)."""
    if not entries or any(e.request_id == 0 for e in entries):
        raise ValueError("ADDRESS_REQUEST needs at least one entry and non-zero request IDs")
    return AddressRequest(tuple(entries)).encode()


def encode_addresses(entries: list[MasqueAddress]) -> bytes:
    return AddressAssign(tuple(entries)).encode()


def decode_routes(value: bytes) -> list[IpAddressRange]:
    """ROUTE_ADVERTISEMENT body, with RFC 9484 §4.7.3 ordering and overlap checks."""
    try:
        routes = list(RouteAdvertisement.decode(value).ip_address_ranges)
    except DecodeError as exc:
        raise MalformedCapsule(str(exc)) from None
    check_route_order(routes)
    return routes


def check_route_order(routes: list[IpAddressRange]) -> None:
    """Ordered by (version, protocol, start), no overlap within one (version, protocol), and no
    protocol-0 range overlapping a range of another protocol of the same version."""
    for a, b in zip(routes, routes[1:], strict=False):
        if (a.ip_version, a.ip_protocol) > (b.ip_version, b.ip_protocol):
            raise MalformedCapsule("routes not ordered by IP version then protocol")
        if (a.ip_version, a.ip_protocol) == (
            b.ip_version,
            b.ip_protocol,
        ) and not a.end_address < b.start_address:
            raise MalformedCapsule("routes of one version and protocol overlap or are out of order")
    for a in routes:
        if a.ip_protocol != 0:
            continue
        for b in routes:
            if (
                b.ip_version == a.ip_version
                and b.ip_protocol != 0
                and not (b.end_address < a.start_address or a.end_address < b.start_address)
            ):
                raise MalformedCapsule("a protocol-0 range overlaps a protocol-specific range")


def encode_routes(routes: list[IpAddressRange]) -> bytes:
    check_route_order(routes)
    return RouteAdvertisement(tuple(routes)).encode()


def full_range(version: int, protocol: int = 0) -> IpAddressRange:
    size = _FAMILY_BYTES[version]
    return IpAddressRange(version, bytes(size), b"\xff" * size, protocol)


def single_address(address: bytes, protocol: int) -> IpAddressRange:
    return IpAddressRange(4 if len(address) == 4 else 6, address, address, protocol)
