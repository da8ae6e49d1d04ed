"""In-memory packet devices and datagram binds: a real runtime for two (or more) sessions in one process.

`MemoryNetwork` delivers datagrams between `MemoryBind`s by address, optionally through a `filter`
(loss, reordering, tampering — what a test or a simulation wants). `MemoryDevice` stands for the
operating system's side of a TUN: `inject()` is an application sending, `take()` what the tunnel
delivered. Nothing here has an fd; readiness goes through `attach(loop, ready)` like any transport
that multiplexes on its own (interfaces.Attachable). Queues are bounded: what does not fit is dropped
and counted, like a full socket buffer.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from collections.abc import Callable, Iterable, Sequence

from oxtunnel.types import PeerAddress
from runtimes.interfaces import Datagram

QUEUE_LIMIT = 8192
# Filter over one delivery: returns the datagrams to deliver now (drop = return [], reorder = hold back).
DeliveryFilter = Callable[[bytes, PeerAddress, PeerAddress], Iterable[bytes]]


class _Readiness:
    """The `attach` half shared by device and bind: remember the callback, schedule it once per burst."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready: Callable[[], None] | None = None
        self._scheduled = False

    def attach(self, loop: asyncio.AbstractEventLoop, ready: Callable[[], None]) -> None:
        self._loop, self._ready = loop, ready
        if self._has_data():
            self._notify()

    def _has_data(self) -> bool:
        raise NotImplementedError

    def _notify(self) -> None:
        if self._loop is None or self._ready is None or self._scheduled:
            return
        self._scheduled = True
        self._loop.call_soon(self._fire)

    def _fire(self) -> None:
        self._scheduled = False
        if self._ready is not None and self._has_data():
            self._ready()

    def _detach(self) -> None:
        self._loop = self._ready = None


class MemoryNetwork:
    """A switch of in-memory binds; addresses are handed out from 198.18.0.0/15 (benchmarking range)."""

    def __init__(self, *, filter: DeliveryFilter | None = None) -> None:
        self._binds: dict[tuple[str, int], MemoryBind] = {}
        self._hosts = (f"198.18.{i // 250}.{i % 250 + 1}" for i in itertools.count())
        self.filter = filter
        self.undeliverable = 0

    def bind(self, host: str | None = None, port: int = 51820, *, transport: str = "udp") -> MemoryBind:
        """A new bind at (host, port); a fresh host is chosen when `host` is None."""
        host = host or next(self._hosts)
        if (host, port) in self._binds:
            raise OSError(f"memory address {host}:{port} in use")
        bind = MemoryBind(self, PeerAddress(host, port, transport))
        self._binds[(host, port)] = bind
        return bind

    def rebind(self, bind: MemoryBind, host: str | None = None) -> None:
        """Move `bind` to a new host, as a client whose address changes (roaming)."""
        self._binds.pop((bind.address.host, bind.address.port), None)
        host = host or next(self._hosts)
        bind.address = PeerAddress(host, bind.address.port, bind.transport)
        self._binds[(host, bind.address.port)] = bind

    def _deliver(self, data: bytes, source: PeerAddress, dest: PeerAddress) -> None:
        target = self._binds.get((dest.host, dest.port))
        if target is None or target.closed:
            self.undeliverable += 1
            return
        payloads: Iterable[bytes] = (data,) if self.filter is None else self.filter(data, source, dest)
        for payload in payloads:
            target._enqueue(payload, source)

    def _forget(self, bind: MemoryBind) -> None:
        if self._binds.get((bind.address.host, bind.address.port)) is bind:
            del self._binds[(bind.address.host, bind.address.port)]


class MemoryBind(_Readiness):
    """A `DatagramBind` on a `MemoryNetwork`."""

    def __init__(self, network: MemoryNetwork, address: PeerAddress) -> None:
        super().__init__()
        self.transport = address.transport
        self.address = address
        self._network = network
        self._queue: deque[Datagram] = deque()
        self.closed = False
        self.drops = 0
        self.sent = 0
        self.received = 0

    def fileno(self) -> int:
        return -1

    def _has_data(self) -> bool:
        return bool(self._queue)

    def _enqueue(self, data: bytes, source: PeerAddress) -> None:
        if len(self._queue) >= QUEUE_LIMIT:
            self.drops += 1
            return
        self._queue.append((data, source))
        self._notify()

    def recv_batch(self, max_datagrams: int) -> list[Datagram]:
        queue = self._queue
        count = min(max_datagrams, len(queue))
        items = [queue.popleft() for _ in range(count)]
        self.received += count
        return items

    def send_batch(self, items: Sequence[Datagram]) -> None:
        if self.closed:
            return
        deliver = self._network._deliver
        source = self.address
        for data, dest in items:
            deliver(data, source, dest)
        self.sent += len(items)

    def close(self) -> None:
        self.closed = True
        self._queue.clear()
        self._network._forget(self)
        self._detach()


class MemoryDevice(_Readiness):
    """A `PacketDevice` whose system side is this object: `inject` packets in, `take` packets out."""

    def __init__(self, mtu: int = 1420) -> None:
        super().__init__()
        self.mtu = mtu
        self._outbound: deque[bytes] = deque()  # from "applications" into the tunnel
        self._delivered: deque[bytes] = deque()  # from the tunnel to "applications"
        self.drops = 0
        self.on_deliver: Callable[[Sequence[bytes]], None] | None = None

    def fileno(self) -> int:
        return -1

    def _has_data(self) -> bool:
        return bool(self._outbound)

    def inject(self, packets: Iterable[bytes]) -> None:
        """Packets an application sends (they go into the tunnel)."""
        for packet in packets:
            if len(self._outbound) >= QUEUE_LIMIT:
                self.drops += 1
                continue
            self._outbound.append(packet)
        self._notify()

    def take(self) -> list[bytes]:
        """Packets the tunnel delivered since the last call."""
        items = list(self._delivered)
        self._delivered.clear()
        return items

    def read_batch(self, max_packets: int) -> list[bytes]:
        queue = self._outbound
        return [queue.popleft() for _ in range(min(max_packets, len(queue)))]

    def write_batch(self, packets: Sequence[bytes]) -> None:
        room = QUEUE_LIMIT - len(self._delivered)
        if len(packets) > room:
            self.drops += len(packets) - max(room, 0)
            packets = packets[: max(room, 0)]
        self._delivered.extend(packets)
        if self.on_deliver is not None and packets:
            self.on_deliver(packets)

    def close(self) -> None:
        self._outbound.clear()
        self._detach()
