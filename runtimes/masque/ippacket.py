"""The little IP the CONNECT-IP proxy needs: header fields, TTL, UDP wrapping, ICMP errors.

These are inner IP packets (RFC 791 / 8200 layouts), not OxTunnel wire structures. The IPv6 walk skips
extension headers to find the upper-layer protocol, as RFC 9484 §4.8 requires for protocol scoping
(requirement 65).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

PROTO_ICMP = 1
PROTO_UDP = 17
PROTO_ICMPV6 = 58
_IPV6_EXTENSIONS = frozenset({0, 43, 44, 50, 51, 60, 135, 139, 140, 253, 254})


@dataclass(frozen=True)
class IpInfo:
    version: int
    src: bytes
    dst: bytes
    protocol: int  # the upper-layer protocol (after IPv6 extension headers); -1 if not found
    payload_offset: int
    ttl: int


def checksum(data: bytes | bytearray) -> int:
    if len(data) % 2:
        data = bytes(data) + b"\x00"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def parse(packet: bytes) -> IpInfo | None:
    """Header facts of a well-formed packet, or None (then it is dropped)."""
    if not packet:
        return None
    version = packet[0] >> 4
    if version == 4:
        ihl = (packet[0] & 0x0F) * 4
        if ihl < 20 or len(packet) < ihl or struct.unpack_from("!H", packet, 2)[0] != len(packet):
            return None
        return IpInfo(4, packet[12:16], packet[16:20], packet[9], ihl, packet[8])
    if version == 6:
        if len(packet) < 40 or struct.unpack_from("!H", packet, 4)[0] != len(packet) - 40:
            return None
        nxt, pos = packet[6], 40
        while nxt in _IPV6_EXTENSIONS:
            if nxt == 50 or pos + 8 > len(packet):  # ESP hides what follows
                return IpInfo(6, packet[8:24], packet[24:40], -1, pos, packet[7])
            if nxt == 44:
                length = 8
            elif nxt == 51:
                length = (packet[pos + 1] + 2) * 4
            else:
                length = (packet[pos + 1] + 1) * 8
            nxt, pos = packet[pos], pos + length
        return IpInfo(6, packet[8:24], packet[24:40], nxt, pos, packet[7])
    return None


def decrement_ttl(packet: bytes) -> bytes | None:
    """The packet with TTL / Hop Limit one lower, or None if it must not be forwarded (TTL <= 1)."""
    if packet[0] >> 4 == 4:
        if packet[8] <= 1:
            return None
        out = bytearray(packet)
        out[8] -= 1
        # RFC 1624 incremental update: the TTL is the high byte of a 16-bit word, so +0x0100 to the sum.
        csum = struct.unpack_from("!H", out, 10)[0] + 0x0100
        csum = (csum & 0xFFFF) + (csum >> 16)
        struct.pack_into("!H", out, 10, csum & 0xFFFF)
        return bytes(out)
    if packet[7] <= 1:
        return None
    out = bytearray(packet)
    out[7] -= 1
    return bytes(out)


def _pseudo(src: bytes, dst: bytes, proto: int, length: int) -> bytes:
    if len(src) == 4:
        return src + dst + struct.pack("!BBH", 0, proto, length)
    return src + dst + struct.pack("!IxxxB", length, proto)


def ip_header(src: bytes, dst: bytes, proto: int, payload_len: int, ttl: int = 64) -> bytes:
    if len(src) == 4:
        hdr = bytearray(
            struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + payload_len, 0, 0x4000, ttl, proto, 0, src, dst)
        )
        struct.pack_into("!H", hdr, 10, checksum(hdr))
        return bytes(hdr)
    return struct.pack("!IHBB16s16s", 6 << 28, payload_len, proto, ttl, src, dst)


def udp_packet(src: bytes, sport: int, dst: bytes, dport: int, payload: bytes, *,
               checksum_v4: bool = True) -> bytes:
    """IP + UDP around `payload`. `checksum_v4=False` leaves an IPv4 UDP checksum 0 ("none", RFC 768):
    for our own OxTunnel datagrams to and from the proxy's service address, which carry their own
    authentication tag; IPv6 always gets one (RFC 8200 §8.1)."""
    length = 8 + len(payload)
    if len(src) == 4 and not checksum_v4:
        udp_header = struct.pack("!HHHH", sport, dport, length, 0)
        return ip_header(src, dst, PROTO_UDP, length) + udp_header + payload
    udp = bytearray(struct.pack("!HHHH", sport, dport, length, 0)) + payload
    csum = checksum(_pseudo(src, dst, PROTO_UDP, length) + udp) or 0xFFFF
    struct.pack_into("!H", udp, 6, csum)
    return ip_header(src, dst, PROTO_UDP, length) + bytes(udp)


def parse_udp(packet: bytes, info: IpInfo) -> tuple[int, int, bytes] | None:
    """(source port, destination port, payload) of a UDP packet, or None if malformed."""
    off = info.payload_offset
    if info.protocol != PROTO_UDP or len(packet) < off + 8:
        return None
    sport, dport, length = struct.unpack_from("!HHH", packet, off)
    if length < 8 or off + length > len(packet):
        return None
    return sport, dport, packet[off + 8 : off + length]


def icmp_error(original: bytes, info: IpInfo, from_addr: bytes, kind: str, mtu: int = 0) -> bytes:
    """ICMP error about `original`, addressed to its source: 'too_big' (with `mtu`), 'prohibited',
    'source_policy' (RFC 9484 §7.2.1: Destination Unreachable code 5 / ICMPv6 code 5)."""
    if info.version == 4:
        type_code = {"too_big": (3, 4), "prohibited": (3, 13), "source_policy": (3, 5), "ttl": (11, 0)}[kind]
        rest = struct.pack("!HH", 0, mtu) if kind == "too_big" else bytes(4)
        quoted = original[: info.payload_offset + 8]
        body = bytearray(struct.pack("!BBH", *type_code, 0) + rest + quoted)
        struct.pack_into("!H", body, 2, checksum(body))
        return ip_header(from_addr, info.src, PROTO_ICMP, len(body)) + bytes(body)
    type_code = {"too_big": (2, 0), "prohibited": (1, 1), "source_policy": (1, 5), "ttl": (3, 0)}[kind]
    rest = struct.pack("!I", mtu) if kind == "too_big" else bytes(4)
    quoted = original[: 1280 - 40 - 8]
    body = bytearray(struct.pack("!BBH", *type_code, 0) + rest + quoted)
    struct.pack_into("!H", body, 2, checksum(_pseudo(from_addr, info.src, PROTO_ICMPV6, len(body)) + body))
    return ip_header(from_addr, info.src, PROTO_ICMPV6, len(body)) + bytes(body)
