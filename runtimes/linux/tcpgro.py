"""TCP receive coalescing for TUN writes (GRO in user space, as wireguard-go's tun offload does).

A batch of inner packets written to a TUN opened with `IFF_VNET_HDR` may carry one virtio-net header
per write. Consecutive in-order segments of one TCP flow are joined into one super-packet with
`gso_type` TCPV4/TCPV6, `gso_size` = their payload size and a partial checksum (`NEEDS_CSUM`): the kernel
takes ~40 segments in one syscall and one pass through its stack, and segments again only if the packet
leaves through a device that cannot take it whole. Everything else is written as it came, behind a
zero header. The segments were authenticated by the tunnel's AEAD, so the checksums they carried are
not verified again; the kernel computes the new one.

Joining rules (what Linux's own GRO requires): same addresses, ports, IP version, TOS/traffic class,
TTL/hop limit, DF; IPv4 without options or fragments, IDs incrementing by one; IPv6 without extension headers;
ACK set, no SYN/FIN/RST/URG/CWR/ECE; the same TCP header apart from sequence number, checksum and PSH
(PSH ends a super-packet); sequence numbers contiguous; every segment but the last exactly `gso_size`
long; at most 64 KiB in all.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

VNET_HDR = struct.Struct("<BBHHHH")  # flags, gso_type, hdr_len, gso_size, csum_start, csum_offset
VNET_HDR_LEN = VNET_HDR.size
VIRTIO_NET_HDR_F_NEEDS_CSUM = 1
GSO_NONE, GSO_TCPV4, GSO_TCPV6 = 0, 1, 4
PLAIN_HDR = VNET_HDR.pack(0, GSO_NONE, 0, 0, 0, 0)
MAX_SUPER = 65535
MAX_SEGMENTS = 64
TCP_FLAG_FIN, TCP_FLAG_SYN, TCP_FLAG_RST, TCP_FLAG_PSH, TCP_FLAG_ACK = 0x01, 0x02, 0x04, 0x08, 0x10
_REFUSE_FLAGS = 0xFF & ~(TCP_FLAG_ACK | TCP_FLAG_PSH)
_U16 = struct.Struct("!H")
_U32 = struct.Struct("!I")


def _fold(total: int) -> int:
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def _sum16(data: bytes) -> int:
    """Ones' complement sum of 16-bit words (unfolded is fine: callers fold)."""
    if len(data) % 2:
        data += b"\0"
    return sum(struct.unpack(f"!{len(data) // 2}H", data))


def ipv4_header_checksum(header: bytes) -> int:
    return ~_fold(_sum16(header[:10] + b"\0\0" + header[12:])) & 0xFFFF


def pseudo_header_sum(src: bytes, dst: bytes, proto: int, length: int) -> int:
    """The folded pseudo-header sum a CHECKSUM_PARTIAL TCP header carries in its checksum field."""
    return _fold(_sum16(src + dst) + proto + length)


class _Segment:
    """What joining needs to know about one TCP packet (parsed once)."""

    __slots__ = ("packet", "version", "ip_len", "tcp_len", "seq", "payload", "flags", "key", "ip_id")

    def __init__(self, packet: bytes, version: int, ip_len: int, tcp_len: int, key: bytes,
                 ip_id: int) -> None:
        self.packet = packet
        self.version = version
        self.ip_len = ip_len
        self.tcp_len = tcp_len
        self.seq = _U32.unpack_from(packet, ip_len + 4)[0]
        self.payload = len(packet) - ip_len - tcp_len
        self.flags = packet[ip_len + 13]
        self.key = key
        self.ip_id = ip_id


def _parse(packet: bytes) -> _Segment | None:
    """A joinable TCP segment, or None (anything else is written unchanged)."""
    n = len(packet)
    if n < 40:
        return None
    version = packet[0] >> 4
    if version == 4:
        if packet[0] != 0x45 or packet[9] != 6 or n != _U16.unpack_from(packet, 2)[0]:
            return None
        frag = _U16.unpack_from(packet, 6)[0]
        if frag & 0x3FFF:  # MF or an offset: a fragment
            return None
        ip_len = 20
        # flow and everything that must be equal: TOS, DF, TTL, addresses
        ip_key = packet[1:2] + bytes([frag >> 8 & 0x40]) + packet[8:9] + packet[12:20]
        ip_id = _U16.unpack_from(packet, 4)[0]
    elif version == 6:
        if n < 60 or packet[6] != 6 or n != 40 + _U16.unpack_from(packet, 4)[0]:
            return None
        ip_len = 40
        ip_key = packet[0:4] + packet[7:8] + packet[8:40]  # version/class/flow label, hop limit, addresses
        ip_id = 0
    else:
        return None
    tcp_len = (packet[ip_len + 12] >> 4) * 4
    if tcp_len < 20 or ip_len + tcp_len > n:
        return None
    flags = packet[ip_len + 13]
    if flags & _REFUSE_FLAGS or not flags & TCP_FLAG_ACK:
        return None
    tcp = packet[ip_len:ip_len + tcp_len]
    # ports, ack, header length, window, urgent pointer and options must match; seq/flags/checksum not
    key = ip_key + tcp[0:4] + tcp[8:13] + tcp[14:16] + tcp[18:]
    return _Segment(packet, version, ip_len, tcp_len, key, ip_id)


class _Group:
    __slots__ = ("first", "segments", "size", "next_seq", "closed", "total")

    def __init__(self, first: _Segment) -> None:
        self.first = first
        self.segments = [first]
        self.size = first.payload
        self.next_seq = (first.seq + first.payload) & 0xFFFFFFFF
        self.closed = bool(first.flags & TCP_FLAG_PSH) or first.payload == 0
        self.total = len(first.packet)

    def add(self, seg: _Segment) -> bool:
        if (self.closed or seg.key != self.first.key or seg.seq != self.next_seq or seg.payload == 0
                or seg.payload > self.size or len(self.segments) >= MAX_SEGMENTS
                or self.total + seg.payload > MAX_SUPER):
            return False
        if seg.version == 4 and seg.ip_id != (self.first.ip_id + len(self.segments)) & 0xFFFF:
            return False  # segmentation numbers the IDs up from the first: only exact runs join
        self.segments.append(seg)
        self.total += seg.payload
        self.next_seq = (seg.seq + seg.payload) & 0xFFFFFFFF
        if seg.payload < self.size or seg.flags & TCP_FLAG_PSH:
            self.closed = True  # a short or PSH segment ends the run
        return True

    def build(self) -> bytes:
        segs = self.segments
        if len(segs) == 1:
            return PLAIN_HDR + self.first.packet
        first = self.first
        ip_len, tcp_len = first.ip_len, first.tcp_len
        head = bytearray(first.packet[:ip_len + tcp_len])
        payload = b"".join(s.packet[s.ip_len + s.tcp_len:] for s in segs)
        total = ip_len + tcp_len + len(payload)
        if first.version == 4:
            _U16.pack_into(head, 2, total)
            _U16.pack_into(head, 10, ipv4_header_checksum(bytes(head[:20])))
            src, dst, gso_type = first.packet[12:16], first.packet[16:20], GSO_TCPV4
        else:
            _U16.pack_into(head, 4, total - 40)
            src, dst, gso_type = first.packet[8:24], first.packet[24:40], GSO_TCPV6
        head[ip_len + 13] |= segs[-1].flags & TCP_FLAG_PSH
        _U16.pack_into(head, ip_len + 16, pseudo_header_sum(src, dst, 6, total - ip_len))
        vnet = VNET_HDR.pack(VIRTIO_NET_HDR_F_NEEDS_CSUM, gso_type, ip_len + tcp_len, self.size, ip_len, 16)
        return vnet + bytes(head) + payload


def coalesce(packets: Sequence[bytes]) -> list[bytes]:
    """The writes for `packets`: each starts with a virtio-net header; TCP runs are joined.

    Order is kept within every flow (a run is written where its first segment was)."""
    out: list[_Group | bytes] = []
    open_groups: dict[bytes, _Group] = {}
    for packet in packets:
        seg = _parse(packet)
        if seg is None:
            out.append(PLAIN_HDR + packet)
            continue
        group = open_groups.get(seg.key)
        if group is not None and group.add(seg):
            continue
        group = _Group(seg)
        out.append(group)
        if group.closed:
            open_groups.pop(seg.key, None)
        else:
            open_groups[seg.key] = group
    return [item.build() if isinstance(item, _Group) else item for item in out]
