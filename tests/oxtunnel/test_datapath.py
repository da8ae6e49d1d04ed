"""DataPath: batching that keeps order, LZ4 with an entropy skip, bounded decompression, inner checks."""

from __future__ import annotations

import os

import lz4.block

from generated.codecs import CompressionEnvelope
from generated.codecs import constants as C
from oxtunnel.datapath import DataPath
from oxtunnel.events import PacketsReceived
from oxtunnel.trace import DropReason

from .harness import client_source, ipv4_packet, ipv6_packet, make_pair

F = C.Flags
TEXT = b"GET /index.html HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n" * 20


def _dp(**kw: object) -> DataPath:
    args: dict[str, object] = {"mtu": 1400, "batching": True, "compression": False}
    args.update(kw)
    return DataPath(**args)  # type: ignore[arg-type]


def test_runs_of_small_packets_are_batched_without_reordering() -> None:
    dp = _dp()
    small = [ipv4_packet("10.0.0.1", "10.0.0.2", bytes([i]) * 20) for i in range(5)]
    big = ipv6_packet("fd00::1", "fd00::2", b"B" * 900)
    drops: list[tuple[DropReason, str]] = []
    units = dp.encode([*small[:3], big, *small[3:]], drops)
    assert [flags for flags, _ in units] == [F.BATCH, F.IPV6, F.BATCH]
    decoded = [p for flags, body in units for p in dp.decode(flags, body)]  # type: ignore[union-attr]
    assert decoded == [*small[:3], big, *small[3:]] and not drops


def test_batches_never_exceed_the_mtu() -> None:
    dp = _dp(mtu=600)
    packets = [ipv4_packet("10.0.0.1", "10.0.0.2", bytes([i]) * 200) for i in range(10)]
    units = dp.encode(packets, [])
    assert all(len(body) <= 600 for _, body in units)
    assert [p for f, b in units for p in dp.decode(f, b)] == packets  # type: ignore[union-attr]
    single = dp.encode(packets[:1], [])
    assert single == [(0, packets[0])]  # a batch of one is just the packet


def test_invalid_and_oversized_packets_are_refused_when_sending() -> None:
    dp = _dp(mtu=600)
    drops: list[tuple[DropReason, str]] = []
    units = dp.encode([b"", b"\x45" * 10, ipv4_packet("10.0.0.1", "10.0.0.2", b"x" * 700)], drops)
    assert units == [] and [r for r, _ in drops] == [DropReason.INVALID_PACKET] * 2 + [DropReason.TOO_LARGE]


def test_compression_only_when_it_helps_and_never_for_random_data() -> None:
    dp = _dp(compression=True, batching=False)
    text = ipv4_packet("10.0.0.1", "10.0.0.2", TEXT[:1300])
    ((flags, body),) = dp.encode([text], [])
    assert flags == F.COMPRESSED and len(body) < len(text) // 3
    assert dp.decode(flags, body) == [text]
    noise = ipv4_packet("10.0.0.1", "10.0.0.2", os.urandom(1300))
    assert dp.encode([noise], []) == [(0, noise)]
    short = ipv4_packet("10.0.0.1", "10.0.0.2", b"a" * 50)
    assert dp.encode([short], []) == [(0, short)]  # below compression_min


def test_decompression_is_bounded_by_the_mtu() -> None:
    dp = _dp(mtu=1280)
    bomb_source = b"\x45" + bytes(60_000)
    block = lz4.block.compress(bomb_source, store_size=False)
    body = CompressionEnvelope(len(bomb_source), block).encode()
    reason, detail = dp.decode(F.COMPRESSED, body)  # type: ignore[misc]
    assert reason is DropReason.DECOMPRESSION_FAILED and "MTU" in detail
    # a lying original_length within the MTU: lz4 refuses to write past it
    body = CompressionEnvelope(1000, lz4.block.compress(b"\x45" + bytes(1200), store_size=False)).encode()
    assert dp.decode(F.COMPRESSED, body)[0] is DropReason.DECOMPRESSION_FAILED  # type: ignore[index]
    # an original_length larger than what the block holds
    short = b"\x45" + bytes(100)
    body = CompressionEnvelope(200, lz4.block.compress(short, store_size=False)).encode()
    assert dp.decode(F.COMPRESSED, body)[0] is DropReason.DECOMPRESSION_FAILED  # type: ignore[index]
    assert dp.decode(F.COMPRESSED, b"\x00")[0] is DropReason.MALFORMED  # type: ignore[index]


def test_received_bodies_are_checked() -> None:
    dp = _dp()
    v4 = ipv4_packet("10.0.0.1", "10.0.0.2")
    v6 = ipv6_packet("fd00::1", "fd00::2")
    assert dp.decode(0, v4) == [v4] and dp.decode(F.IPV6, v6) == [v6]
    assert dp.decode(F.IPV6, v4)[0] is DropReason.INVALID_PACKET  # type: ignore[index]
    assert dp.decode(0, v6)[0] is DropReason.INVALID_PACKET  # type: ignore[index]
    assert dp.decode(0, b"\x99" * 30)[0] is DropReason.INVALID_PACKET  # type: ignore[index]
    assert dp.decode(F.BATCH, b"\x00\x00")[0] is DropReason.MALFORMED  # type: ignore[index]
    ((_, batch),) = dp.encode([v4, v4], [])
    tampered = batch[:4] + b"\x99" + batch[5:]
    assert dp.decode(F.BATCH, tampered)[0] is DropReason.INVALID_PACKET  # type: ignore[index]


def test_compression_end_to_end_is_opt_in() -> None:
    pair = make_pair(client_kw={"compression": True})
    assert pair.client.parameters is not None and pair.client.parameters.features & C.Features.COMPRESSION
    src = client_source(pair)
    packet = ipv4_packet(src, "203.0.113.5", TEXT[:1200])
    pair.client.send_packet(packet, pair.now)
    pair.flush()
    assert len(pair.to_server[-1]) < 600
    assert [e.packets for e in pair.take(PacketsReceived, "server")] == [[packet]]
    off = make_pair()  # default: not requested
    assert off.client.parameters is not None and not off.client.parameters.features & C.Features.COMPRESSION
    refused = make_pair(client_kw={"compression": True}, server_kw={"allow_compression": False})
    assert refused.client.parameters is not None
    assert not refused.client.parameters.features & C.Features.COMPRESSION


def test_compression_default_follows_plaintext_mode() -> None:
    plain = make_pair(client_kw={"request_plaintext": True}, server_kw={"allow_plaintext": True})
    assert plain.client.parameters is not None
    features = plain.client.parameters.features
    assert features & C.Features.COMPRESSION and features & C.Features.PLAINTEXT
    # plaintext refused: compression (asked only for plaintext mode) is refused with it
    refused = make_pair(client_kw={"request_plaintext": True})
    assert refused.client.parameters is not None
    assert not refused.client.parameters.features & (C.Features.COMPRESSION | C.Features.PLAINTEXT)
    explicit = make_pair(
        client_kw={"compression": False, "request_plaintext": True}, server_kw={"allow_plaintext": True}
    )
    assert explicit.client.parameters is not None
    assert not explicit.client.parameters.features & C.Features.COMPRESSION
