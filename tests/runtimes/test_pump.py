"""The pump driving two full sessions over the in-memory runtime, and its batching/back-pressure rules."""

from __future__ import annotations

import asyncio
import ipaddress
import os
import time
from collections.abc import Sequence

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from oxtunnel.client import ClientSession
from oxtunnel.config import ClientConfig, PeerConfig, ServerConfig, TimerConfig
from oxtunnel.events import HandshakeCompleted, SessionTerminated
from oxtunnel.server import ServerEndpoint
from oxtunnel.trace import DropReason
from oxtunnel.types import PeerAddress
from runtimes.interfaces import Datagram
from runtimes.memory import MemoryDevice, MemoryNetwork
from runtimes.pump import Pump


def keypair() -> tuple[bytes, bytes]:
    private = X25519PrivateKey.generate()
    return private.private_bytes_raw(), private.public_key().public_bytes_raw()


def ipv4(src: str, dst: str, payload: bytes = b"p" * 32) -> bytes:
    header = bytes([0x45, 0]) + (20 + len(payload)).to_bytes(2, "big") + bytes(4) + bytes([64, 17, 0, 0])
    return header + ipaddress.IPv4Address(src).packed + ipaddress.IPv4Address(dst).packed + payload


class World:
    """A server and a client session, each with a pump, device and bind, on one MemoryNetwork."""

    def __init__(self, timers: TimerConfig | None = None) -> None:
        server_private, server_public = keypair()
        client_private, client_public = keypair()
        self.net = MemoryNetwork()
        self.server_bind = self.net.bind("198.18.0.1", 51820)
        self.client_bind = self.net.bind("198.18.0.2", 40000)
        extra = {"timers": timers} if timers else {}
        self.server = ServerEndpoint(ServerConfig(
            private_key=server_private, peers=(PeerConfig(client_public, "c"),), wall_clock=time.time,
            ipv4_pool="10.9.0.0/24", ipv6_pool=None, **extra), rng=os.urandom)
        self.client_config = ClientConfig(
            private_key=client_private, server_public_key=server_public,
            endpoint=self.server_bind.address, wall_clock=time.time, **extra)
        self.client = ClientSession(self.client_config, rng=os.urandom)
        self.server_dev, self.client_dev = MemoryDevice(), MemoryDevice()
        self.client_events: list[object] = []
        self.server_events: list[object] = []
        self.server_pump = Pump(self.server, self.server_dev, [self.server_bind],
                                on_event=self.server_events.append)
        self.client_pump = Pump(self.client, self.client_dev, [self.client_bind],
                                on_event=self.client_events.append)

    def start(self) -> None:
        self.server_pump.start()
        self.client_pump.start()
        self.client.connect(self.client_pump.clock())
        self.client_pump.kick()

    async def until(self, condition: object, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():  # type: ignore[operator]
            assert time.monotonic() < deadline, "timed out"
            await asyncio.sleep(0.005)


def test_two_sessions_exchange_packets_through_pumps() -> None:
    async def scenario() -> None:
        w = World()
        w.start()
        await w.until(lambda: any(isinstance(e, HandshakeCompleted) for e in w.client_events))
        completed = next(e for e in w.client_events if isinstance(e, HandshakeCompleted))
        assert completed.parameters.ipv4 is not None
        mine = str(completed.parameters.ipv4.ip)
        outbound = [ipv4(mine, "192.0.2.80", i.to_bytes(2, "big") * 50) for i in range(300)]
        w.client_dev.inject(outbound)
        got: list[bytes] = []
        await w.until(lambda: len(got.__iadd__(w.server_dev.take()) or got) >= 300)
        assert got == outbound  # all of them, in order, through batches of 128
        replies = [ipv4("192.0.2.80", mine, bytes([i]) * 60) for i in range(50)]
        w.server_dev.inject(replies)
        back: list[bytes] = []
        await w.until(lambda: len(back.__iadd__(w.client_dev.take()) or back) >= 50)
        assert back == replies
        assert w.client_pump.stats["device_rx_packets"] == 300
        assert w.server_pump.stats["device_tx_packets"] == 300
        spoofed = ipv4("10.9.0.250", "192.0.2.80")
        w.client_dev.inject([spoofed])
        await w.until(lambda: w.server.trace.count(DropReason.SPOOFED_SOURCE))
        assert w.server_dev.take() == []
        w.server_pump.stop()
        w.client_pump.stop()

    asyncio.run(scenario())


def test_timer_drives_handshake_retries_and_termination() -> None:
    """No server bound at the endpoint: the core's timer fires through the pump until it gives up."""

    async def scenario() -> list[object]:
        w = World(TimerConfig(rekey_timeout=0.05, rekey_attempt_time=0.3, rekey_timeout_jitter=0.0))
        w.server_bind.close()
        w.client_pump.start()
        w.client.connect(w.client_pump.clock())
        w.client_pump.kick()
        await w.until(lambda: any(isinstance(e, SessionTerminated) for e in w.client_events), timeout=3)
        assert w.client_bind.sent >= 4  # the first INIT and retries every 50 ms
        w.client_pump.stop()
        return w.client_events

    events = asyncio.run(scenario())
    assert [type(e).__name__ for e in events] == ["SessionTerminated"]


class _Core:
    """A minimal core: echoes every packet as a datagram to one address."""

    def __init__(self, dest: PeerAddress) -> None:
        self.dest = dest
        self.out: list[Datagram] = []

    def receive_datagrams(self, items: Sequence[Datagram], now: float) -> None: ...

    def send_packets(self, packets: Sequence[bytes], now: float) -> None:
        self.out += [(p, self.dest) for p in packets]

    def handle_timer(self, now: float) -> None: ...

    def get_timer(self) -> float | None:
        return None

    def datagrams_to_send(self, now: float) -> list[Datagram]:
        out, self.out = self.out, []
        return out

    def next_event(self) -> object | None:
        return None


class _SlowBind:
    """Accepts `room` datagrams, then keeps the rest pending until `flush` is allowed."""

    transport = "udp"

    def __init__(self, fd: int) -> None:
        self.fd, self.room, self.sent, self.waiting = fd, 3, [], []  # type: ignore[var-annotated]

    def fileno(self) -> int:
        return self.fd

    def recv_batch(self, max_datagrams: int) -> list[Datagram]:
        return []

    def send_batch(self, items: Sequence[Datagram]) -> None:
        self.waiting += list(items)
        self.flush()

    def pending(self) -> int:
        return len(self.waiting)

    def flush(self) -> int:
        while self.waiting and self.room:
            self.sent.append(self.waiting.pop(0))
            self.room -= 1
        return len(self.waiting)

    def close(self) -> None: ...


def test_backpressure_pauses_device_until_bind_drains() -> None:
    async def scenario() -> None:
        r, w = os.pipe()  # a writable fd for add_writer
        bind = _SlowBind(w)
        device = MemoryDevice()
        pump = Pump(_Core(PeerAddress("192.0.2.1", 1)), device, [bind])
        pump.start()
        device.inject([b"a", b"b", b"c", b"d", b"e"])
        await asyncio.sleep(0.01)
        assert len(bind.sent) == 3 and pump._device_paused and pump.stats["device_pauses"] == 1
        device.inject([b"f"])
        await asyncio.sleep(0.01)
        assert device.read_batch(10) == [b"f"]  # not read while paused
        device.inject([b"f"])
        bind.room = 100
        await asyncio.sleep(0.02)
        assert [d for d, _ in bind.sent] == [b"a", b"b", b"c", b"d", b"e", b"f"]
        assert not pump._device_paused
        pump.stop()
        os.close(r)
        os.close(w)

    asyncio.run(scenario())


def test_datagrams_go_to_the_bind_of_their_transport() -> None:
    async def scenario() -> None:
        net = MemoryNetwork()
        udp, quic = net.bind(transport="udp"), net.bind(transport="quic")
        sink_udp, sink_quic = net.bind(), net.bind()
        core = _Core(sink_udp.address)
        pump = Pump(core, MemoryDevice(), [udp])
        pump.add_bind(quic)
        pump.start()
        core.out = [(b"u", sink_udp.address), (b"q", PeerAddress(sink_quic.address.host, 51820, "quic")),
                    (b"t", PeerAddress("192.0.2.9", 1, "tcp"))]
        pump.kick()
        assert [d for d, _ in sink_udp.recv_batch(5)] == [b"u"]
        assert [d for d, _ in sink_quic.recv_batch(5)] == [b"q"]
        assert pump.stats["tx_dropped_no_bind_tcp"] == 1
        pump.stop()

    asyncio.run(scenario())
