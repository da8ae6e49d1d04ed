"""Inner-packet checks the server relies on: IP version, anti-spoofing source, destination policy.

Inner packets are IP packets from the client's TUN device, not OxTunnel wire structures; we read only
the version nibble and the address fields, by slicing.  The destination policy is a table of networks
(name, networks, the config switch that allows them); matching is on integers so the per-packet cost
is a few comparisons.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

# (rule name, networks) — refused unless the rule's name is in the allowed set of the policy.
DESTINATION_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("metadata", ("169.254.169.254/32", "fd00:ec2::254/128", "100.100.100.200/32")),
    ("loopback", ("127.0.0.0/8", "::1/128")),
    ("link_local", ("169.254.0.0/16", "fe80::/10")),
    ("multicast", ("224.0.0.0/4", "ff00::/8")),
    ("unspecified", ("0.0.0.0/8", "::/128")),
    ("broadcast", ("255.255.255.255/32",)),
)
RULE_NAMES = frozenset(name for name, _ in DESTINATION_RULES)

IPV4_MIN_HEADER = 20
IPV6_HEADER = 40


def ip_version(packet: bytes) -> int:
    """4 or 6 for a packet long enough to carry its addresses, else 0."""
    if not packet:
        return 0
    version = packet[0] >> 4
    if version == 4 and len(packet) >= IPV4_MIN_HEADER:
        return 4
    if version == 6 and len(packet) >= IPV6_HEADER:
        return 6
    return 0


def source_address(packet: bytes, version: int) -> bytes:
    return packet[12:16] if version == 4 else packet[8:24]


def destination_address(packet: bytes, version: int) -> bytes:
    return packet[16:20] if version == 4 else packet[24:40]


@dataclass(frozen=True, slots=True)
class _Rule:
    name: str
    version: int
    network: int
    mask: int


class DestinationPolicy:
    """Refuses inner destinations in the rule table unless allowed, plus extra denied networks.

    ``extra`` adds named rules (the server uses it for its client pool: ``client_to_client``) and
    ``exempt`` lists addresses that are never refused (the server's own tunnel addresses).  A table of
    first bytes that can start a refused address lets most packets pass after one index lookup.
    """

    __slots__ = ("_v4", "_v6", "_first_v4", "_first_v6", "_exempt")

    def __init__(
        self,
        allowed: Iterable[str] = (),
        denied_networks: Iterable[str] = (),
        extra: Iterable[tuple[str, str]] = (),
        exempt: Iterable[bytes] = (),
    ) -> None:
        allowed = frozenset(allowed)
        unknown = allowed - RULE_NAMES
        if unknown:
            raise ValueError(f"unknown destination rule(s) {sorted(unknown)}; known: {sorted(RULE_NAMES)}")
        rules: list[_Rule] = []
        for name, networks in DESTINATION_RULES:
            if name not in allowed:
                rules += [_rule(name, net) for net in networks]
        rules += [_rule("denied", net) for net in denied_networks]
        rules += [_rule(name, net) for name, net in extra]
        self._v4 = tuple((r.network, r.mask, r.name) for r in rules if r.version == 4)
        self._v6 = tuple((r.network, r.mask, r.name) for r in rules if r.version == 6)
        self._first_v4 = _first_bytes(self._v4, 32)
        self._first_v6 = _first_bytes(self._v6, 128)
        self._exempt = frozenset(exempt)

    def refusal(self, destination: bytes) -> str | None:
        """The name of the rule that refuses ``destination`` (4 or 16 raw bytes), or None if allowed."""
        if len(destination) == 4:
            if not self._first_v4[destination[0]]:
                return None
            rules = self._v4
        else:
            if not self._first_v6[destination[0]]:
                return None
            rules = self._v6
        if destination in self._exempt:
            return None
        value = int.from_bytes(destination, "big")
        for network, mask, name in rules:
            if value & mask == network:
                return name
        return None


def _first_bytes(rules: tuple[tuple[int, int, str], ...], bits: int) -> bytes:
    """256 flags: may an address starting with this byte match one of the rules?"""
    table = bytearray(256)
    for network, mask, _ in rules:
        shift = bits - 8
        first_mask = (mask >> shift) & 0xFF
        first = (network >> shift) & 0xFF
        for byte in range(256):
            if byte & first_mask == first:
                table[byte] = 1
    return bytes(table)


def _rule(name: str, text: str) -> _Rule:
    net = ipaddress.ip_network(text)
    bits = 32 if net.version == 4 else 128
    mask = ((1 << bits) - 1) ^ ((1 << (bits - net.prefixlen)) - 1)
    return _Rule(name, net.version, int(net.network_address), mask)
