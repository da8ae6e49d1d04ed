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
from typing import Any

from runtimes.linux import checksum
from runtimes.linux.checksum import ipv4_header_checksum, pseudo_header_sum

VNET_HDR = struct.Struct("<BBHHHH")  # flags, gso_type, hdr_len, gso_size, csum_start, csum_offset
VNET_HDR_LEN = VNET_HDR.size
VIRTIO_NET_HDR_F_NEEDS_CSUM = 1
GSO_NONE, GSO_TCPV4, GSO_TCPV6 = 0, 1, 4
PLAIN_HDR = VNET_HDR.pack(0, GSO_NONE, 0, 0, 0, 0)
MAX_SUPER = 65535
MAX_SEGMENTS = 64
VECTOR_MIN = 64  # packets from which the vectorised path pays for its ~20 numpy calls (measured)
VECTOR_RUN_RATIO = 8  # ... and it keeps its result only with at least this many packets per write
TCP_FLAG_FIN, TCP_FLAG_SYN, TCP_FLAG_RST, TCP_FLAG_PSH, TCP_FLAG_ACK = 0x01, 0x02, 0x04, 0x08, 0x10
_REFUSE_FLAGS = 0xFF & ~(TCP_FLAG_ACK | TCP_FLAG_PSH)
_U16 = struct.Struct("!H")
_U32 = struct.Struct("!I")


# the fields joining looks at, in one unpack: IPv4 = version/IHL+TOS, total length, ID, DF/fragment+TTL+
# protocol, addresses+ports, seq, ack+data offset, flags, window; IPv6 = version/class/flow, payload
# length, next header, hop limit, addresses+ports, seq, ack+data offset, flags, window
_V4 = struct.Struct("!2sHH4s2x12sI5sB2s")
_V6 = struct.Struct("!4sHBB36sI5sB2s")


class _Run:
    """An open super-packet: its first segment, what the next one must look like, its payloads."""

    __slots__ = ("first", "ip_len", "head", "size", "next_seq", "next_id", "total", "payloads", "closed",
                 "last_flags", "same", "tail")

    def __init__(self, packet: bytes, ip_len: int, head: int, seq: int, ip_id: int, payload: int,
                 same: tuple[bytes | int, ...]) -> None:
        self.first = packet
        self.ip_len = ip_len
        self.head = head
        self.size = payload
        self.next_seq = (seq + payload) & 0xFFFFFFFF
        self.next_id = (ip_id + 1) & 0xFFFF
        self.total = len(packet)
        self.payloads: list[memoryview] = [memoryview(packet)[head:]]
        self.last_flags = packet[ip_len + 13]
        self.closed = bool(self.last_flags & TCP_FLAG_PSH)
        self.same = same  # header fields every segment must share (the flow key is the dict key)
        self.tail = packet[ip_len + 18:head]  # urgent pointer and options

    def build(self) -> bytes:
        if len(self.payloads) == 1:
            return PLAIN_HDR + self.first
        return _super_packet(self.first, self.ip_len, self.head, self.size, self.total, self.last_flags,
                             self.payloads)


def _super_packet(first: bytes, t: int, head_len: int, size: int, total: int, last_flags: int,
                  payloads: Sequence[memoryview]) -> bytes:
    """The GSO write for segments joined behind `first`'s header (`total` bytes as one IP packet)."""
    head = bytearray(first[:head_len])
    if t == 20:
        _U16.pack_into(head, 2, total)
        _U16.pack_into(head, 10, ipv4_header_checksum(head[:20]))
        src, dst, gso_type = first[12:16], first[16:20], GSO_TCPV4
    else:
        _U16.pack_into(head, 4, total - 40)
        src, dst, gso_type = first[8:24], first[24:40], GSO_TCPV6
    head[t + 13] |= last_flags & TCP_FLAG_PSH
    _U16.pack_into(head, t + 16, pseudo_header_sum(src, dst, 6, total - t))
    vnet = VNET_HDR.pack(VIRTIO_NET_HDR_F_NEEDS_CSUM, gso_type, head_len, size, t, 16)
    return b"".join((vnet, head, *payloads))


def coalesce(packets: Sequence[bytes]) -> list[bytes]:
    """The writes for `packets`: each starts with a virtio-net header; TCP runs are joined.

    Order is kept within every flow (a run is written where its first segment was; a segment of the
    flow that cannot join ends the flow's open run). A big batch of IPv4 segments of one header length
    takes the vectorised path first; anything it does not cover (IPv6, mixed headers, interleaved
    flows) goes through the per-packet loop."""
    if len(packets) >= VECTOR_MIN and checksum.numpy_available:
        joined = _coalesce_adjacent(packets)
        if joined is not None:
            return joined
    out: list[_Run | bytes] = []
    runs: dict[bytes, _Run] = {}
    unpack_v4, unpack_v6 = _V4.unpack_from, _V6.unpack_from
    for packet in packets:
        n = len(packet)
        first = packet[0] if n >= 40 else 0
        if first == 0x45 and packet[9] == 6:  # IPv4 TCP without IP options
            front, total, ip_id, mid, key, seq, ack, flags, window = unpack_v4(packet)
            if total != n or mid[0] & 0x3F or mid[1]:  # length disagrees, or a fragment
                out.append(PLAIN_HDR + packet)
                continue
            t = 20
        elif first >> 4 == 6 and n >= 60 and packet[6] == 6:  # IPv6 TCP without extension headers
            front, length, _nh, hop, key, seq, ack, flags, window = unpack_v6(packet)
            if length + 40 != n:
                out.append(PLAIN_HDR + packet)
                continue
            t, ip_id, mid = 40, -1, hop
        else:
            out.append(PLAIN_HDR + packet)
            continue
        head = t + ((ack[4] >> 4) << 2)
        if head < t + 20 or head > n or flags & _REFUSE_FLAGS or not flags & TCP_FLAG_ACK:
            runs.pop(key, None)  # a SYN/FIN/RST/URG or odd header ends the flow's run
            out.append(PLAIN_HDR + packet)
            continue
        payload = n - head
        same = (front, mid, ack, window)
        run = runs.get(key)
        if (run is not None and seq == run.next_seq and same == run.same and 0 < payload <= run.size
                and not run.closed and (ip_id == run.next_id or t == 40) and head == run.head
                and run.total + payload <= MAX_SUPER and len(run.payloads) < MAX_SEGMENTS
                and packet.startswith(run.tail, t + 18)):
            run.payloads.append(memoryview(packet)[head:])
            run.total += payload
            run.next_seq = (seq + payload) & 0xFFFFFFFF
            run.next_id = (ip_id + 1) & 0xFFFF
            run.last_flags = flags
            if payload < run.size or flags & TCP_FLAG_PSH:
                run.closed = True  # a short or PSH segment ends the run
            continue
        if payload == 0:  # a pure ACK: nothing to join, but it ends the flow's run
            runs.pop(key, None)
            out.append(PLAIN_HDR + packet)
            continue
        run = _Run(packet, t, head, seq, ip_id, payload, same)
        out.append(run)
        if run.closed:
            runs.pop(key, None)
        else:
            runs[key] = run
    return [item.build() if type(item) is _Run else item for item in out]  # type: ignore[misc]


# columns of an IPv4+TCP header (no IP options) that every segment of a run shares: TOS, DF/fragment,
# TTL, protocol, addresses, ports, ack, data offset, window, urgent pointer and options (from byte 38)
_SAME_V4 = (1, 6, 7, 8, 9, *range(12, 24), *range(28, 33), 34, 35)
_FIELDS_V4 = (0, 9, 32, 2, 3, 6, 7, 33, 4, 5, 24, 25, 26, 27)  # the columns the joining rules read
_COLUMNS: dict[int, tuple[Any, Any]] = {}  # header length -> (shared columns, field columns) index arrays


def _columns(head: int) -> tuple[Any, Any]:
    found = _COLUMNS.get(head)
    if found is None:
        np: Any = checksum._np
        found = _COLUMNS[head] = (np.array((*_SAME_V4, *range(38, head))), np.array(_FIELDS_V4))
    return found


def _coalesce_adjacent(packets: Sequence[bytes]) -> list[bytes] | None:
    """`coalesce` for a batch of IPv4 TCP packets with one header length, joining only neighbours,
    with every joining rule checked as numpy columns over all headers at once; None when the batch
    is not of that kind (or its flows interleave), for the per-packet loop to handle."""
    np: Any = checksum._np
    n = len(packets)
    p0 = packets[0]
    if len(p0) < 40 or p0[0] != 0x45 or p0[9] != 6:
        return None
    head = 20 + ((p0[32] >> 4) << 2)
    if head < 40 or len(p0) <= head:
        return None  # a batch that starts with a pure ACK is usually all ACKs: nothing to join
    heads = b"".join([p[:head] for p in packets])
    if len(heads) != n * head:
        return None  # a packet shorter than the header
    rows = np.frombuffer(heads, np.uint8).reshape(n, head)
    same, fields = _columns(head)
    lengths = np.array(list(map(len, packets)), np.int64)
    cols = rows[:, fields].astype(np.int64)
    total = (cols[:, 3] << 8) | cols[:, 4]
    if not ((cols[:, 0] == 0x45) & (cols[:, 1] == 6) & (cols[:, 2] == p0[32]) & (total == lengths)
            & ((cols[:, 5] & 0x3F) == 0) & (cols[:, 6] == 0)).all():
        return None  # not all plain IPv4 TCP of this header length with a true length, or fragments
    flags = cols[:, 7]
    ip_id = (cols[:, 8] << 8) | cols[:, 9]
    seq = (cols[:, 10] << 24) | (cols[:, 11] << 16) | (cols[:, 12] << 8) | cols[:, 13]
    payload = lengths - head
    usable = ((flags & _REFUSE_FLAGS) == 0) & ((flags & TCP_FLAG_ACK) != 0) & (payload > 0)
    joins = np.zeros(n, bool)
    joins[1:] = (usable[1:] & usable[:-1] & ((flags[:-1] & TCP_FLAG_PSH) == 0)
                 & (seq[1:] == ((seq[:-1] + payload[:-1]) & 0xFFFFFFFF))
                 & (ip_id[1:] == ((ip_id[:-1] + 1) & 0xFFFF))
                 & (payload[1:] <= payload[:-1])
                 & (rows[1:, same] == rows[:-1, same]).all(axis=1))
    joins[2:] &= ~(joins[1:-1] & (payload[1:-1] < payload[:-2]))  # a short segment ends its run
    starts = np.flatnonzero(~joins).tolist()
    if len(starts) * VECTOR_RUN_RATIO > n:
        return None  # mostly unjoinable or interleaved flows: the per-packet loop does better
    starts.append(n)
    out: list[bytes] = []
    sizes = payload.tolist()
    all_flags = flags.tolist()
    for begin, end in zip(starts, starts[1:], strict=False):
        if end - begin == 1:
            out.append(PLAIN_HDR + packets[begin])
            continue
        size = sizes[begin]  # > 0: only segments with data join
        step = min(MAX_SEGMENTS, (MAX_SUPER - head) // size)
        for first in range(begin, end, step):
            last = min(first + step, end)
            if last - first == 1:
                out.append(PLAIN_HDR + packets[first])
                continue
            members = packets[first:last]
            total_len = head + sum(sizes[first:last])
            out.append(_super_packet(members[0], 20, head, size, total_len, all_flags[last - 1],
                                     _payloads(np, members, head, size)))
    return out


def _payloads(np: Any, members: Sequence[bytes], head: int, size: int) -> list[Any]:
    """The payloads of a run's segments as few buffers: the full-size ones in one array (their headers
    cut out by one slice), the shorter last one on its own."""
    full = members if len(members[-1]) == head + size else members[:-1]
    rows = np.frombuffer(b"".join(full), np.uint8).reshape(len(full), head + size)[:, head:]
    parts: list[Any] = [rows.tobytes()]
    if len(full) < len(members):
        parts.append(memoryview(members[-1])[head:])
    return parts
