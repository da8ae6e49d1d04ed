"""TUN reads with offloads: what the kernel hands a TSO-capable device becomes wire-ready IP packets.

With `TUNSETOFFLOAD TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6` the kernel treats the TUN as a NIC with TSO
and checksum offload: a TCP socket's send path skips segmentation and checksumming, and one read brings
a GSO super-packet of up to 64 KiB (one IP/TCP header for up to ~45 MSS-sized segments) behind its
virtio-net header. This module does the NIC's part in user space — the send half of wireguard-go's
offloads — so that every segment still leaves in its own datagram and stays individually decryptable:

* `gso_type` NONE, `NEEDS_CSUM`: one packet whose transport checksum is only the pseudo-header sum;
  the sum over `csum_start..end` is completed here.
* `gso_type` TCPV4/TCPV6 (optionally with the ECN bit): cut into `gso_size` payloads; each segment gets
  the header of the super-packet with its own sequence number, IPv4 total length / ID (+1 per
  segment) and checksum or IPv6 payload length, flags as Linux's `tcp_gso_segment` sets them (CWR on
  the first segment only, FIN and PSH on the last only) and a complete TCP checksum. Headers are
  patched from a precompiled template; the payload sums of all segments come from one numpy call.
* anything else (UDP GSO, which we do not advertise, or a malformed header) raises `OffloadError`.

The header's `hdr_len` is only a hint of the linear part for TUN, so header lengths come from the
packet itself (IHL, TCP data offset, `csum_start`).
"""

from __future__ import annotations

import struct

from runtimes.linux import checksum
from runtimes.linux.tcpgro import (
    GSO_NONE,
    GSO_TCPV4,
    GSO_TCPV6,
    TCP_FLAG_FIN,
    TCP_FLAG_PSH,
    VIRTIO_NET_HDR_F_NEEDS_CSUM,
    VNET_HDR,
    VNET_HDR_LEN,
)

# <linux/if_tun.h> offload bits for TUNSETOFFLOAD
TUN_F_CSUM = 0x01
TUN_F_TSO4 = 0x02
TUN_F_TSO6 = 0x04
TUN_F_TSO_ECN = 0x08
TSO_OFFLOADS = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN
GSO_ECN = 0x80
TCP_FLAG_CWR = 0x80
PROTO_TCP, PROTO_UDP = 6, 17
_U16 = struct.Struct("!H")
_STRUCTS: dict[tuple[int, int, int], struct.Struct] = {}


class OffloadError(ValueError):
    """A read the kernel should never produce with the offloads we asked for (dropped and counted)."""


def packets_from_read(buf: bytes | bytearray | memoryview, length: int) -> list[bytes]:
    """The IP packets of one TUN read of `length` bytes (virtio-net header first) in `buf`."""
    if length <= VNET_HDR_LEN:
        raise OffloadError(f"read of {length} bytes: no packet behind the virtio-net header")
    flags, gso_type, _hdr_len, gso_size, csum_start, csum_offset = VNET_HDR.unpack_from(buf)
    view = memoryview(buf)[VNET_HDR_LEN:length]
    kind = gso_type & ~GSO_ECN
    if kind == GSO_NONE:
        if flags & VIRTIO_NET_HDR_F_NEEDS_CSUM:
            return [complete_checksum(view, csum_start, csum_offset)]
        return [bytes(view)]
    if kind in (GSO_TCPV4, GSO_TCPV6):
        if not flags & VIRTIO_NET_HDR_F_NEEDS_CSUM:
            raise OffloadError("TCP GSO packet without NEEDS_CSUM")
        return segment_tcp(view, gso_size, csum_start, kind == GSO_TCPV6)
    raise OffloadError(f"gso_type {gso_type:#x} not offered")


def complete_checksum(packet: memoryview, start: int, offset: int) -> bytes:
    """The packet with its partial checksum (pseudo-header sum at `start + offset`) completed."""
    where = start + offset
    if start < 20 or where + 2 > len(packet):
        raise OffloadError(f"csum_start {start} / csum_offset {offset} outside a {len(packet)}-byte packet")
    out = bytearray(packet)
    value = ~checksum.sum16(packet[start:]) & 0xFFFF
    _U16.pack_into(out, where, value or 0xFFFF)  # 0 means "no checksum" for UDP; -0 is the same for TCP
    return bytes(out)


def _template(version: int, transport: int, tcp_len: int) -> struct.Struct:
    """Header ‖ TCP header with the per-segment fields as integers, everything else as byte runs."""
    key = (version, transport, tcp_len)
    found = _STRUCTS.get(key)
    if found is None:
        tcp = f"4sI5sB2sH{tcp_len - 18}s"  # ports, seq, ack+offset, flags, window, checksum, urg+options
        ip = f"2sHH4sH{transport - 12}s" if version == 4 else f"4sH{transport - 6}s"
        found = _STRUCTS[key] = struct.Struct("!" + ip + tcp)
    return found


def segment_tcp(packet: memoryview, mss: int, transport: int, v6: bool) -> list[bytes]:
    """Cut a TCP super-packet into segments of `mss` payload bytes, every one with its own checksums."""
    size = len(packet)
    version = packet[0] >> 4
    if version != (6 if v6 else 4):
        raise OffloadError(f"IPv{version} packet in a TCPV{6 if v6 else 4} GSO header")
    if v6:
        if transport < 40 or packet[6] != PROTO_TCP and transport == 40:
            raise OffloadError("TCPV6 GSO packet that is not TCP")
    elif transport != (packet[0] & 0x0F) * 4 or transport < 20 or packet[9] != PROTO_TCP:
        raise OffloadError("TCPV4 GSO packet whose TCP header does not follow the IP header")
    if transport + 20 > size:
        raise OffloadError("TCP GSO packet shorter than its headers")
    announced = (packet[4] << 8 | packet[5]) + 40 if v6 else packet[2] << 8 | packet[3]
    if announced != size:
        raise OffloadError(f"IP length {announced} in a {size}-byte GSO packet")
    tcp_len = (packet[transport + 12] >> 4) * 4
    head = transport + tcp_len
    if tcp_len < 20 or head > size or mss <= 0:
        raise OffloadError(f"TCP header length {tcp_len} / gso_size {mss} in a {size}-byte packet")
    payload = packet[head:]
    total = size - head
    if total <= mss:  # nothing to cut: only the checksum is left to us
        return [complete_checksum(packet, transport, 16)]
    sums = checksum.segment_sums(payload, mss)
    tmpl = bytes(packet[:head])
    words = struct.unpack_from(f"!{head >> 1}H", tmpl)
    t = transport >> 1  # word index of the TCP header
    seq = (words[t + 2] << 16) | words[t + 3]
    flags = tmpl[transport + 13]
    # constant parts of the TCP checksum: pseudo header (addresses, protocol) and the TCP header words
    # apart from seq, flags and checksum; the data-offset byte shares a word with the flags
    tcp_const = sum(words[t:]) - words[t + 2] - words[t + 3] - words[t + 6] - words[t + 8]
    tcp_const += tmpl[transport + 12] << 8
    if v6:
        tcp_const += sum(words[4:20]) + PROTO_TCP + tcp_len
        ext = transport - 40 + tcp_len  # IPv6 payload length = extension headers + TCP header + data
    else:
        tcp_const += sum(words[6:10]) + PROTO_TCP + tcp_len
        ip_const = sum(words[:transport >> 1]) - words[1] - words[2] - words[5]
        ip_id = words[2]
    pack = _template(version, transport, tcp_len).pack
    ports, ack_off, window = tmpl[transport:transport + 4], tmpl[transport + 8:transport + 13], \
        tmpl[transport + 14:transport + 16]
    options = tmpl[transport + 18:head]
    mid_flags = flags & ~(TCP_FLAG_FIN | TCP_FLAG_PSH | TCP_FLAG_CWR)
    seg_flags = flags & ~(TCP_FLAG_FIN | TCP_FLAG_PSH)  # the first keeps CWR
    out: list[bytes] = []
    append = out.append
    last = len(sums) - 1
    offset = head
    for i, part in enumerate(sums):
        if i == last:
            length = size - offset
            seg_flags = flags & ~TCP_FLAG_CWR if i else flags
        else:
            length = mss
        c = tcp_const + length + (seq >> 16) + (seq & 0xFFFF) + seg_flags + part
        c = (c & 0xFFFF) + (c >> 16)
        c = (c & 0xFFFF) + (c >> 16)
        tcp_sum = ~((c & 0xFFFF) + (c >> 16)) & 0xFFFF
        if v6:
            header = pack(tmpl[:4], ext + length, tmpl[6:transport], ports, seq, ack_off, seg_flags, window,
                          tcp_sum, options)
        else:
            ip_total = head + length
            s = ip_const + ip_total + ip_id
            s = (s & 0xFFFF) + (s >> 16)
            s = (s & 0xFFFF) + (s >> 16)
            header = pack(tmpl[:2], ip_total, ip_id, tmpl[6:10], ~s & 0xFFFF, tmpl[12:transport], ports, seq,
                          ack_off, seg_flags, window, tcp_sum, options)
            ip_id = (ip_id + 1) & 0xFFFF
        append(header + packet[offset:offset + length])
        seq = (seq + length) & 0xFFFFFFFF
        offset += length
        seg_flags = mid_flags
    return out
