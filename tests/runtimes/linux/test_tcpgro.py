"""TCP coalescing for TUN writes: what the kernel re-segments is exactly what the peer sent."""

from __future__ import annotations

import ipaddress
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runtimes.linux import tcpgro
from runtimes.linux.tcpgro import VNET_HDR, coalesce


def csum(data: bytes) -> int:
    """The Internet checksum (RFC 1071), written out independently of the code under test."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def tcp_packet(seq: int, payload: bytes, *, v6: bool = False, flags: int = 0x10, ip_id: int = 0,
               src: str = "10.0.0.1", dst: str = "10.0.0.2", sport: int = 443, dport: int = 50000,
               ack: int = 7, window: int = 500, options: bytes = b"", df: bool = True) -> bytes:
    tcp_len = 20 + len(options)
    fields = (sport, dport, seq, ack, (tcp_len // 4) << 4, flags, window, 0, 0)
    tcp = bytearray(struct.pack("!HHIIBBHHH", *fields) + options)
    if v6:
        s, d = ipaddress.IPv6Address(src if ":" in src else "fd00::1").packed, \
            ipaddress.IPv6Address(dst if ":" in dst else "fd00::2").packed
        pseudo = s + d + struct.pack("!IxxxB", tcp_len + len(payload), 6)
        struct.pack_into("!H", tcp, 16, csum(pseudo + bytes(tcp) + payload))
        header = struct.pack("!IHBB", 0x60000000, tcp_len + len(payload), 6, 64) + s + d
        return header + bytes(tcp) + payload
    s, d = ipaddress.IPv4Address(src).packed, ipaddress.IPv4Address(dst).packed
    pseudo = s + d + struct.pack("!BBH", 0, 6, tcp_len + len(payload))
    struct.pack_into("!H", tcp, 16, csum(pseudo + bytes(tcp) + payload))
    total = 20 + tcp_len + len(payload)
    header = bytearray(struct.pack("!BBHHHBBH", 0x45, 0, total, ip_id, 0x4000 if df else 0, 64, 6, 0) + s + d)
    struct.pack_into("!H", header, 10, csum(bytes(header)))
    return bytes(header) + bytes(tcp) + payload


@pytest.fixture(autouse=True, params=["per-packet", "vectorised"])
def gro_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test runs on both paths: the per-packet loop, and the numpy path for any batch size."""
    if request.param == "vectorised":
        if not tcpgro.checksum.numpy_available:
            pytest.skip("numpy not installed")
        monkeypatch.setattr(tcpgro, "VECTOR_MIN", 1)
        monkeypatch.setattr(tcpgro, "VECTOR_RUN_RATIO", 0)  # keep its result whatever joins
    else:
        monkeypatch.setattr(tcpgro, "VECTOR_MIN", 10**9)
    return str(request.param)


def segment(write: bytes) -> list[bytes]:
    """What the kernel makes of one write: the reference GSO segmentation, with full checksums."""
    flags, gso_type, hdr_len, gso_size, csum_start, csum_offset = VNET_HDR.unpack_from(write)
    packet = write[VNET_HDR.size:]
    if gso_type == tcpgro.GSO_NONE:
        return [packet]
    ip_len = 20 if gso_type == tcpgro.GSO_TCPV4 else 40
    assert flags == tcpgro.VIRTIO_NET_HDR_F_NEEDS_CSUM and csum_start == ip_len and csum_offset == 16
    tcp_len = hdr_len - ip_len
    head, payload = packet[:hdr_len], packet[hdr_len:]
    seq0 = struct.unpack_from("!I", head, ip_len + 4)[0]
    out = []
    chunks = [payload[i:i + gso_size] for i in range(0, len(payload), gso_size)]
    for i, chunk in enumerate(chunks):
        h = bytearray(head)
        struct.pack_into("!I", h, ip_len + 4, (seq0 + i * gso_size) & 0xFFFFFFFF)
        if i != len(chunks) - 1:
            h[ip_len + 13] &= ~tcpgro.TCP_FLAG_PSH & 0xFF
        struct.pack_into("!H", h, ip_len + 16, 0)
        if ip_len == 20:
            struct.pack_into("!H", h, 2, hdr_len + len(chunk))
            struct.pack_into("!H", h, 4, (struct.unpack_from("!H", head, 4)[0] + i) & 0xFFFF)
            struct.pack_into("!H", h, 10, 0)
            struct.pack_into("!H", h, 10, csum(bytes(h[:20])))
            pseudo = bytes(h[12:20]) + struct.pack("!BBH", 0, 6, tcp_len + len(chunk))
        else:
            struct.pack_into("!H", h, 4, tcp_len + len(chunk))
            pseudo = bytes(h[8:40]) + struct.pack("!IxxxB", tcp_len + len(chunk), 6)
        struct.pack_into("!H", h, ip_len + 16, csum(pseudo + bytes(h[ip_len:]) + chunk))
        out.append(bytes(h) + chunk)
    return out


def roundtrip(packets: list[bytes]) -> list[bytes]:
    return [seg for write in coalesce(packets) for seg in segment(write)]


def run(n: int, size: int = 1000, *, start: int = 1, last: int | None = None, **kw: object) -> list[bytes]:
    sizes = [size] * n if last is None else [size] * (n - 1) + [last]
    psh_last = bool(kw.pop("psh_last", False))
    out, seq = [], start
    for i, length in enumerate(sizes):
        flags = 0x18 if (i == n - 1 and psh_last) else 0x10
        out.append(tcp_packet(seq, bytes([i % 251]) * length, ip_id=100 + i, flags=flags,
                              **kw))  # type: ignore[arg-type]
        seq = (seq + length) & 0xFFFFFFFF
    return out


def test_a_run_becomes_one_write_and_segments_back_exactly() -> None:
    packets = run(40, 1368, last=500, psh_last=True)
    writes = coalesce(packets)
    assert len(writes) == 1
    flags, gso_type, hdr_len, gso_size, _, _ = VNET_HDR.unpack_from(writes[0])
    assert (gso_type, hdr_len, gso_size) == (tcpgro.GSO_TCPV4, 40, 1368)
    assert roundtrip(packets) == packets


def test_ipv6_run() -> None:
    packets = run(10, 1200, v6=True)
    assert len(coalesce(packets)) == 1 and roundtrip(packets) == packets


def test_what_cannot_join_is_written_alone_and_flow_order_is_kept() -> None:
    a = run(3, 800, sport=1)
    b = run(3, 800, sport=2)
    syn = tcp_packet(0, b"", flags=0x02)
    gap = tcp_packet(10**6, b"x" * 800, sport=1, ip_id=103)  # not contiguous
    udp = bytes([0x45, 0, 0, 28]) + bytes(5) + bytes([17]) + bytes(18)
    packets = [a[0], b[0], a[1], syn, b[1], a[2], b[2], gap, udp]
    writes = coalesce(packets)
    assert len(writes) == 5  # a-run, b-run, syn, gap, udp
    out = [seg for w in writes for seg in segment(w)]
    assert sorted(out) == sorted(packets)
    assert [p for p in out if p in a or p == gap] == [*a, gap]  # flow 1 in order
    assert writes[2][VNET_HDR.size:] == syn and writes[-1][VNET_HDR.size:] == udp


@pytest.mark.parametrize("changed", [
    {"ack": 8}, {"window": 501}, {"options": b"\x01\x01\x08\x0a" + bytes(8)}, {"dst": "10.0.0.3"},
    {"df": False}, {"dport": 50001},
])
def test_header_differences_stop_a_run(changed: dict[str, object]) -> None:
    first = run(2, 500)
    other = tcp_packet(1 + 1000, b"z" * 500, ip_id=102, **changed)  # type: ignore[arg-type]
    assert len(coalesce([*first, other])) == 2
    assert roundtrip([*first, other]) == [*first, other]


def test_longer_segment_after_shorter_starts_a_new_run() -> None:
    packets = run(3, 500, last=300) + [tcp_packet(1301, b"q" * 500, ip_id=103)]
    assert len(coalesce(packets)) == 2 and roundtrip(packets) == packets


@pytest.mark.parametrize("df", [True, False])
def test_ids_must_increment_by_one(df: bool) -> None:
    good = [tcp_packet(1 + 500 * i, b"a" * 500, ip_id=7 + i, df=df) for i in range(3)]
    assert len(coalesce(good)) == 1 and roundtrip(good) == good
    bad = [tcp_packet(1 + 500 * i, b"a" * 500, ip_id=7, df=df) for i in range(3)]
    assert len(coalesce(bad)) == 3


def test_size_limit_of_a_super_packet() -> None:
    packets = run(60, 1400)
    writes = coalesce(packets)
    assert all(len(w) - VNET_HDR.size <= 65535 for w in writes) and len(writes) == 2
    assert roundtrip(packets) == packets


def test_sequence_wraps() -> None:
    packets = run(4, 1000, start=2**32 - 1500)
    assert len(coalesce(packets)) == 1 and roundtrip(packets) == packets


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 1400), st.booleans()), max_size=30))
def test_any_mix_segments_back_to_the_same_packets_per_flow(spec: list[tuple[int, int, bool]]) -> None:
    seqs = [1, 1, 1]
    packets = []
    for flow, size, jump in spec:
        seqs[flow] += 5000 if jump else 0
        packets.append(tcp_packet(seqs[flow], b"d" * size, sport=1000 + flow, ip_id=len(packets)))
        seqs[flow] += size
    out = roundtrip(packets)
    for flow in range(3):
        mine = [p for p in packets if struct.unpack_from("!H", p, 20)[0] == 1000 + flow]
        assert [p for p in out if struct.unpack_from("!H", p, 20)[0] == 1000 + flow] == mine


def test_both_paths_write_a_bulk_run_identically(monkeypatch: pytest.MonkeyPatch) -> None:
    packets = run(45, 1368, last=700, psh_last=True, options=b"\x01\x01\x08\x0a" + bytes(8))
    packets += [tcp_packet(1 + 44 * 1368 + 700, b"", ip_id=999)]  # a pure ACK after the run
    monkeypatch.setattr(tcpgro, "VECTOR_MIN", 1)
    vectorised = coalesce(packets)
    monkeypatch.setattr(tcpgro, "VECTOR_MIN", 10**9)
    assert vectorised == coalesce(packets) and len(vectorised) == 2


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 1400), st.booleans(), st.booleans(), st.integers(0, 2)),
                min_size=1, max_size=40))
def test_any_single_flow_mix_segments_back(spec: list[tuple[int, bool, bool, int]]) -> None:
    """Sizes, gaps, PSH and ID jumps in one flow: whatever joins, the kernel's segmentation of the
    writes gives back exactly the packets (the vectorised path sees such batches)."""
    seq, ip_id, packets = 1, 100, []
    for size, jump, psh, id_step in spec:
        seq += 3000 if jump else 0
        packets.append(tcp_packet(seq, bytes([size % 251]) * size, ip_id=ip_id,
                                  flags=0x18 if psh else 0x10))
        seq = (seq + size) & 0xFFFFFFFF
        ip_id = (ip_id + id_step) & 0xFFFF
    assert roundtrip(packets) == packets
