"""UDP bind on loopback: dual-stack, GSO/GRO batches split exactly, back-pressure, bad addresses."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from oxtunnel.types import PeerAddress
from runtimes.udp import UdpBind


@pytest.fixture
def pair() -> Iterator[tuple[UdpBind, UdpBind]]:
    a, b = UdpBind("::", 0), UdpBind("::", 0)
    yield a, b
    a.close()
    b.close()


def receive_all(bind: UdpBind, expected: int, timeout: float = 2.0) -> list[tuple[bytes, PeerAddress]]:
    got: list[tuple[bytes, PeerAddress]] = []
    deadline = time.monotonic() + timeout
    while len(got) < expected and time.monotonic() < deadline:
        got += bind.recv_batch(1024)
        if len(got) < expected:
            time.sleep(0.005)
    return got


@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
def test_batches_arrive_intact_and_in_order(pair: tuple[UdpBind, UdpBind], host: str) -> None:
    a, b = pair
    dest = PeerAddress(host, b.local_address.port)
    items = [(bytes([i]) * 1400, dest) for i in range(150)] + [(b"tail", dest), (b"z" * 900, dest)]
    a.send_batch(items)
    got = receive_all(b, len(items))
    assert [d for d, _ in got] == [d for d, _ in items]
    assert {addr for _, addr in got} == {PeerAddress(host, a.local_address.port, "udp")}
    if a.gso:
        assert a.stats["tx_syscalls"] < len(items) / 10  # GSO: ~64 datagrams per sendmsg
    if b.gro:
        assert b.stats["rx_syscalls"] < len(items) / 10


def test_mixed_destinations_split_runs(pair: tuple[UdpBind, UdpBind]) -> None:
    a, b = pair
    c = UdpBind("::", 0)
    try:
        to_b, to_c = PeerAddress("127.0.0.1", b.local_address.port), PeerAddress("::1", c.local_address.port)
        items = [(b"b%d" % i, to_b if i % 3 else to_c) for i in range(30)]
        a.send_batch(items)
        assert [d for d, _ in receive_all(b, 20)] == [d for d, addr in items if addr == to_b]
        assert [d for d, _ in receive_all(c, 10)] == [d for d, addr in items if addr == to_c]
    finally:
        c.close()


def test_unknown_or_bad_destination_is_dropped_and_counted(pair: tuple[UdpBind, UdpBind]) -> None:
    a, b = pair
    good = PeerAddress("127.0.0.1", b.local_address.port)
    a.send_batch([(b"x", PeerAddress("not-an-ip", 1)), (b"y", good)])
    assert a.stats["tx_dropped_bad_address"] == 1
    assert [d for d, _ in receive_all(b, 1)] == [b"y"]


class _FullAfter:
    """Wraps a socket: sends fail with EAGAIN after `budget` calls until refilled."""

    def __init__(self, sock: object, budget: int) -> None:
        self.sock, self.budget = sock, budget

    def __getattr__(self, name: str) -> object:
        return getattr(self.sock, name)

    def sendto(self, data: bytes, addr: object) -> int:
        if self.budget <= 0:
            raise BlockingIOError
        self.budget -= 1
        return self.sock.sendto(data, addr)  # type: ignore[attr-defined,no-any-return]


def test_backpressure_queues_in_order_then_flushes(pair: tuple[UdpBind, UdpBind]) -> None:
    a, b = pair
    a.gso = False
    fake = _FullAfter(a._sock, budget=5)
    a._sock = fake  # type: ignore[assignment]
    dest = PeerAddress("127.0.0.1", b.local_address.port)
    items = [(b"%03d" % i, dest) for i in range(20)]
    a.send_batch(items[:10])
    assert a.pending() == 5
    a.send_batch(items[10:])  # queued behind the first ones: order kept
    assert a.pending() == 15
    assert a.flush() == 15  # still full
    fake.budget = 100
    assert a.flush() == 0
    assert [d for d, _ in receive_all(b, 20)] == [d for d, _ in items]


def test_recv_batch_is_empty_when_nothing_waits(pair: tuple[UdpBind, UdpBind]) -> None:
    assert pair[0].recv_batch(10) == []


def test_port_in_use_names_the_address() -> None:
    first = UdpBind("127.0.0.1", 0)
    try:
        port = first.local_address.port
        with pytest.raises(OSError, match=f"UDP 127.0.0.1:{port}: Address already in use"):
            UdpBind("127.0.0.1", port)
    finally:
        first.close()
