"""The two batch interfaces every data plane is built from (wireguard-go's `tun.Device` / `conn.Bind`).

A `PacketDevice` moves IP packets between the operating system and the tunnel (TUN, utun, Wintun, an
fd from a mobile VPN service, or memory); a `DatagramBind` moves tunnel datagrams between the tunnel and
the network (UDP, QUIC, TCP, AF_XDP, or memory). Both move lists: a batch per call is what lets
TUN offloads, UDP GSO/GRO and AF_XDP rings amortise syscalls without the core knowing.

Readiness: an object with a real fd returns it from `fileno()` and the pump watches it. An object
without one (memory, or a transport that multiplexes many sockets itself, as QUIC and TCP do) returns
-1 and implements `attach(loop, ready)`: it calls `ready()` whenever `recv_batch`/`read_batch` has
something, and may use `loop` for its own timers and sockets.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

from oxtunnel.types import PeerAddress

Datagram = tuple[bytes, PeerAddress]


@runtime_checkable
class PacketDevice(Protocol):
    """IP packets to and from the operating system."""

    mtu: int

    def fileno(self) -> int:
        """The fd the event loop watches for readability; -1 when the device uses `attach`."""
        ...

    def read_batch(self, max_packets: int) -> list[bytes]:
        """Packets ready now (never blocks); [] when none."""
        ...

    def write_batch(self, packets: Sequence[bytes]) -> None:
        """Deliver packets to the system; what cannot be delivered is dropped and counted, never raised."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class DatagramBind(Protocol):
    """Tunnel datagrams to and from the network, for one transport (`udp`, `quic`, `tcp`, ...)."""

    transport: str

    def fileno(self) -> int:
        """The fd the event loop watches for readability; -1 when the bind uses `attach`."""
        ...

    def recv_batch(self, max_datagrams: int) -> list[Datagram]:
        """Datagrams received so far with their source (never blocks); [] when none."""
        ...

    def send_batch(self, items: Sequence[Datagram]) -> None:
        """Send each datagram to its address. A bind that must wait keeps them (see `Backpressure`)."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class Attachable(Protocol):
    """A device or bind without a single fd: it tells the pump itself when data is ready."""

    def attach(self, loop: asyncio.AbstractEventLoop, ready: Callable[[], None]) -> None:
        """Start delivering; call `ready()` (from the loop's thread) whenever data is waiting."""
        ...


@runtime_checkable
class Backpressure(Protocol):
    """A bind whose sends can be held back by a full kernel buffer."""

    def pending(self) -> int:
        """How many datagrams wait for the socket to become writable."""
        ...

    def flush(self) -> int:
        """Try to send what waits; returns how many still wait."""
        ...


@runtime_checkable
class TunnelCore(Protocol):
    """What the pump needs from `ClientSession` / `ServerEndpoint` (docs/architecture.md)."""

    def receive_datagrams(self, items: Sequence[Datagram], now: float) -> None: ...

    def send_packets(self, packets: Sequence[bytes], now: float) -> None: ...

    def handle_timer(self, now: float) -> None: ...

    def get_timer(self) -> float | None: ...

    def datagrams_to_send(self, now: float) -> list[Datagram]: ...

    def next_event(self) -> object | None: ...
