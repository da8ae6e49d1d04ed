"""Inner IP packets the suite sends through a tunnel (scapy), each carrying a unique marker.

The marker (16 random bytes in the payload) lets a check recognise its own probe in a reply or in an
observer's capture, whatever NAT did to the addresses and whatever else is on the wire.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass

from scapy.layers.inet import ICMP, IP, UDP
from scapy.layers.inet6 import ICMPv6EchoReply, ICMPv6EchoRequest, IPv6
from scapy.packet import Packet, Raw


def marker() -> bytes:
    return b"OXC" + os.urandom(13)


def _is_v6(address: str) -> bool:
    return ipaddress.ip_address(address).version == 6


@dataclass(frozen=True)
class Probe:
    """An inner packet and how to recognise its answer."""

    packet: bytes
    marker: bytes
    protocol: str  # icmp | udp
    ident: int

    def answered_by(self, reply: bytes) -> bool:
        return is_reply(reply, self)


def echo_request(src: str, dst: str, size: int = 0, ident: int | None = None) -> Probe:
    """An ICMP(v6) echo request whose payload is the marker, padded to ``size`` inner bytes if asked."""
    mark = marker()
    ident = ident if ident is not None else int.from_bytes(os.urandom(2), "big")
    pkt: Packet
    if _is_v6(dst):
        pkt = IPv6(src=src, dst=dst, hlim=64) / ICMPv6EchoRequest(id=ident, seq=1) / Raw(mark)
        overhead = 40 + 8
    else:
        pkt = IP(src=src, dst=dst, ttl=64) / ICMP(type=8, id=ident, seq=1) / Raw(mark)
        overhead = 20 + 8
    pad = max(0, size - overhead - len(mark))
    if pad:
        pkt[Raw].load = mark + bytes(pad)
    return Probe(bytes(pkt), mark, "icmp", ident)


def udp_datagram(src: str, dst: str, dport: int, sport: int = 40000, size: int = 0) -> Probe:
    mark = marker()
    load = mark + bytes(max(0, size - 28 - len(mark)))
    pkt = (
        (IPv6(src=src, dst=dst) if _is_v6(dst) else IP(src=src, dst=dst, ttl=64))
        / UDP(sport=sport, dport=dport)
        / Raw(load)
    )
    return Probe(bytes(pkt), mark, "udp", sport)


def is_reply(packet: bytes, probe: Probe) -> bool:
    """True when ``packet`` is the echo (ICMP or UDP) answering ``probe``."""
    if not packet:
        return False
    try:
        parsed = IPv6(packet) if packet[0] >> 4 == 6 else IP(packet)
    except Exception:  # noqa: BLE001 - a packet scapy cannot parse is simply not our reply
        return False
    if probe.marker not in bytes(parsed.payload):
        return False
    if probe.protocol == "icmp":
        if parsed.haslayer(ICMP):
            return bool(parsed[ICMP].type == 0)
        return bool(parsed.haslayer(ICMPv6EchoReply))
    return bool(parsed.haslayer(UDP) and parsed[UDP].dport == probe.ident)


def contains_marker(packet: bytes, mark: bytes) -> bool:
    return mark in packet
