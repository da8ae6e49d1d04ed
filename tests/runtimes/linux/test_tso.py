"""TSO reads: a super-packet from the kernel becomes exactly the segments the kernel would have sent."""

from __future__ import annotations

import ipaddress
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runtimes.linux import checksum, tcpgro, tso
from runtimes.linux.tcpgro import VNET_HDR, coalesce
from tests.runtimes.linux.test_tcpgro import csum, run, segment, tcp_packet


@pytest.fixture(params=[True, False], ids=["numpy", "pure-python"])
def sums(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Every test runs with and without numpy: both checksum paths must agree with the reference."""
    if request.param and not checksum.numpy_available:
        pytest.skip("numpy not installed")
    monkeypatch.setattr(checksum, "numpy_available", request.param)
    return bool(request.param)


def split(write: bytes) -> list[bytes]:
    """A TUN read looks like a coalesced write: virtio-net header, then the packet."""
    return tso.packets_from_read(bytearray(write), len(write))


def super_packet(packets: list[bytes]) -> bytes:
    writes = coalesce(packets)
    assert len(writes) == 1
    return writes[0]


@pytest.mark.usefixtures("sums")
@pytest.mark.parametrize(("n", "size", "last", "v6"), [
    (45, 1368, 500, False), (45, 1368, None, False), (2, 1368, 1, False), (10, 1200, 77, True),
    (3, 1001, 999, False),  # odd MSS: segments start at odd offsets
    (3, 1001, 998, True),
])
def test_segments_are_exactly_what_the_kernel_would_send(n: int, size: int, last: int | None,
                                                         v6: bool) -> None:
    packets = run(n, size, last=last, psh_last=True, v6=v6, options=b"\x01\x01\x08\x0a" + bytes(range(8)))
    write = super_packet(packets)
    assert split(write) == packets == segment(write)


@pytest.mark.usefixtures("sums")
def test_ipv4_options_and_sequence_wrap() -> None:
    packets = run(5, 700, start=2**32 - 1000)
    assert split(super_packet(packets)) == packets


@pytest.mark.usefixtures("sums")
def test_flags_follow_tcp_gso_segment() -> None:
    """CWR only on the first segment, FIN and PSH only on the last (Linux tcp_gso_segment)."""
    packets = run(4, 600)
    write = bytearray(super_packet(packets))
    h = VNET_HDR.size
    write[1] |= tso.GSO_ECN
    write[h + 20 + 13] |= tso.TCP_FLAG_CWR | tcpgro.TCP_FLAG_FIN | tcpgro.TCP_FLAG_PSH
    out = split(bytes(write))
    flags = [p[33] for p in out]
    assert flags[0] & tso.TCP_FLAG_CWR and not any(f & tso.TCP_FLAG_CWR for f in flags[1:])
    assert flags[-1] & (tcpgro.TCP_FLAG_FIN | tcpgro.TCP_FLAG_PSH) == 0x09
    assert not any(f & 0x09 for f in flags[:-1])
    for p in out:  # and every checksum is right for the flags it carries
        assert verify_tcp(p)


def verify_tcp(packet: bytes) -> bool:
    version = packet[0] >> 4
    if version == 4:
        ihl = (packet[0] & 15) * 4
        if csum(packet[:ihl]) != 0:
            return False
        pseudo = packet[12:20] + struct.pack("!BBH", 0, packet[9], len(packet) - ihl)
        return csum(pseudo + packet[ihl:]) == 0
    pseudo = packet[8:40] + struct.pack("!IxxxB", len(packet) - 40, packet[6])
    return csum(pseudo + packet[40:]) == 0


def partial(packet: bytes, proto: int) -> bytes:
    """What a sender with checksum offload hands the TUN: the pseudo-header sum in the checksum field."""
    v6 = packet[0] >> 4 == 6
    start = 40 if v6 else 20
    offset = 16 if proto == 6 else 6
    out = bytearray(packet)
    src, dst = (packet[8:24], packet[24:40]) if v6 else (packet[12:16], packet[16:20])
    pseudo = checksum.pseudo_header_sum(src, dst, proto, len(packet) - start)
    struct.pack_into("!H", out, start + offset, pseudo)
    hdr = VNET_HDR.pack(tcpgro.VIRTIO_NET_HDR_F_NEEDS_CSUM, tcpgro.GSO_NONE, 0, 0, start, offset)
    return hdr + bytes(out)


def udp_packet(payload: bytes, v6: bool = False) -> bytes:
    udp = bytearray(struct.pack("!HHHH", 5000, 5201, 8 + len(payload), 0) + payload)
    if v6:
        s, d = ipaddress.IPv6Address("fd00::1").packed, ipaddress.IPv6Address("fd00::2").packed
        value = csum(s + d + struct.pack("!IxxxB", len(udp), 17) + bytes(udp)) or 0xFFFF
        struct.pack_into("!H", udp, 6, value)
        return struct.pack("!IHBB", 0x60000000, len(udp), 17, 64) + s + d + bytes(udp)
    s, d = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])
    struct.pack_into("!H", udp, 6, csum(s + d + struct.pack("!BBH", 0, 17, len(udp)) + bytes(udp)) or 0xFFFF)
    header = bytearray(struct.pack("!BBHHHBBH", 0x45, 0, 20 + len(udp), 1, 0x4000, 64, 17, 0) + s + d)
    struct.pack_into("!H", header, 10, csum(bytes(header)))
    return bytes(header) + bytes(udp)


@pytest.mark.usefixtures("sums")
@pytest.mark.parametrize("size", [0, 1, 17, 127, 128, 1199, 1200, 8000])
@pytest.mark.parametrize("v6", [False, True])
def test_partial_checksums_are_completed(size: int, v6: bool) -> None:
    payload = bytes((i * 7 + 3) % 256 for i in range(size))
    udp = udp_packet(payload, v6)
    assert split(partial(udp, 17)) == [udp]
    tcp = tcp_packet(99, payload, v6=v6)
    assert split(partial(tcp, 6)) == [tcp]


def test_udp_checksum_never_becomes_zero() -> None:
    """A computed UDP checksum of 0 is sent as 0xFFFF (0 would mean "no checksum")."""
    for i in range(70000):
        packet = udp_packet(struct.pack("!I", i))
        if struct.unpack_from("!H", packet, 26)[0] == 0xFFFF:
            break
    else:  # pragma: no cover - some 4-byte payload always sums to -0
        pytest.fail("no payload with checksum 0xFFFF found")
    assert split(partial(packet, 17)) == [packet]


def test_plain_reads_pass_unchanged() -> None:
    packet = tcp_packet(5, b"abc")
    assert split(tcpgro.PLAIN_HDR + packet) == [packet]


@pytest.mark.parametrize(("mutate", "why"), [
    (lambda w: w[:VNET_HDR.size], "no packet"),
    (lambda w: bytes([w[0], 3]) + w[2:], "gso_type"),  # UDP GSO: never offered
    (lambda w: bytes([0]) + w[1:], "NEEDS_CSUM"),
    (lambda w: w[:4] + struct.pack("<HHH", 0, 20, 16) + w[10:], "gso_size"),
    (lambda w: w[:6] + struct.pack("<H", 24) + w[8:], "TCP header"),
    (lambda w: w[:VNET_HDR.size] + bytes([0x65]) + w[VNET_HDR.size + 1:], "IPv6 packet"),
    (lambda w: w[:VNET_HDR.size + 60], "shorter|outside|nothing"),
])
def test_malformed_reads_are_refused(mutate: object, why: str) -> None:
    write = super_packet(run(3, 500))
    bad = mutate(write)  # type: ignore[operator]
    with pytest.raises(tso.OffloadError):
        split(bad)


def test_partial_checksum_outside_the_packet_is_refused() -> None:
    packet = tcp_packet(5, b"abc")
    hdr = VNET_HDR.pack(tcpgro.VIRTIO_NET_HDR_F_NEEDS_CSUM, tcpgro.GSO_NONE, 0, 0, 20, len(packet))
    with pytest.raises(tso.OffloadError, match="outside"):
        split(hdr + packet)


@settings(max_examples=80, deadline=None)
@given(n=st.integers(2, 45), size=st.integers(1, 1400), last=st.integers(1, 1400), v6=st.booleans(),
       start=st.integers(0, 2**32 - 1), ip_id=st.integers(0, 65535))
def test_any_super_packet_splits_back(n: int, size: int, last: int, v6: bool, start: int, ip_id: int) -> None:
    last = min(last, size)
    sizes = [size] * (n - 1) + [last]
    if sum(sizes) + 60 > 65535:
        return
    packets, seq = [], start
    for i, length in enumerate(sizes):
        packets.append(tcp_packet(seq, bytes((seq + j) % 256 for j in range(length)), v6=v6,
                                  ip_id=(ip_id + i) & 0xFFFF))
        seq = (seq + length) & 0xFFFFFFFF
    write = super_packet(packets)
    assert split(write) == packets
