"""The in-memory network, binds and device: delivery by address, filters, bounds, readiness callbacks."""

from __future__ import annotations

import asyncio

from oxtunnel.types import PeerAddress
from runtimes import memory
from runtimes.interfaces import Attachable, DatagramBind, PacketDevice
from runtimes.memory import MemoryDevice, MemoryNetwork


def test_binds_deliver_by_address_with_source() -> None:
    net = MemoryNetwork()
    a, b = net.bind(), net.bind("198.51.100.9", 4000)
    assert isinstance(a, DatagramBind) and isinstance(a, Attachable) and a.fileno() == -1
    a.send_batch([(b"one", b.address), (b"two", b.address), (b"lost", PeerAddress("203.0.113.1", 1))])
    assert b.recv_batch(10) == [(b"one", a.address), (b"two", a.address)]
    assert net.undeliverable == 1 and b.recv_batch(10) == []


def test_filter_can_drop_duplicate_and_roaming_changes_source() -> None:
    net = MemoryNetwork(filter=lambda data, src, dst: [] if data == b"drop" else [data, data])
    a, b = net.bind(), net.bind()
    a.send_batch([(b"drop", b.address), (b"dup", b.address)])
    assert [d for d, _ in b.recv_batch(10)] == [b"dup", b"dup"]
    old = a.address
    net.rebind(a)
    a.send_batch([(b"x", b.address)])
    assert b.recv_batch(1)[0][1] != old


def test_queue_bound_drops_and_counts() -> None:
    net = MemoryNetwork()
    a, b = net.bind(), net.bind()
    a.send_batch([(b"x", b.address)] * (memory.QUEUE_LIMIT + 5))
    assert b.drops == 5 and len(b.recv_batch(memory.QUEUE_LIMIT * 2)) == memory.QUEUE_LIMIT


def test_device_inject_read_write_take() -> None:
    dev = MemoryDevice(mtu=1400)
    assert isinstance(dev, PacketDevice)
    dev.inject([b"p1", b"p2", b"p3"])
    assert dev.read_batch(2) == [b"p1", b"p2"] and dev.read_batch(5) == [b"p3"]
    dev.write_batch([b"r1", b"r2"])
    assert dev.take() == [b"r1", b"r2"] and dev.take() == []


def test_ready_callback_once_per_burst_on_the_loop() -> None:
    async def scenario() -> list[int]:
        net = MemoryNetwork()
        a, b = net.bind(), net.bind()
        calls: list[int] = []
        b.attach(asyncio.get_running_loop(), lambda: calls.append(len(b.recv_batch(100))))
        a.send_batch([(b"1", b.address)])
        a.send_batch([(b"2", b.address)])
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        a.send_batch([(b"3", b.address)])
        await asyncio.sleep(0)
        return calls

    assert asyncio.run(scenario()) == [2, 1]
