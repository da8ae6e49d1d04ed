"""The one event loop every runtime uses: batches between a packet device, datagram binds and the core.

Reader callbacks fire when a device or bind has data (fd readiness, or `attach` for fd-less ones); each
drains up to `rounds` batches, hands them to the core in one call, then flushes the core's output: the
datagrams to send, grouped by transport to the matching bind, and the events, where `PacketsReceived`
packets are collected into one `write_batch` and every other event goes to `on_event`. After each round
the core's timer is re-armed if it moved. A bind that reports back-pressure gets a writer callback and
device reading pauses until it drains, so a slow socket slows the sender instead of dropping.

Several binds at once (UDP, QUIC, TCP on a server; a transport switch on a client) are keyed by their
`transport`; the core picks one by the `PeerAddress.transport` of each datagram. `replace_core` swaps the
session (a client reconnecting) without touching devices or binds.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from oxtunnel.events import PacketsReceived
from runtimes.interfaces import Attachable, Backpressure, Datagram, DatagramBind, PacketDevice, TunnelCore

log = logging.getLogger(__name__)

DEFAULT_BATCH = 128
DEFAULT_ROUNDS = 4  # batches drained per callback before yielding to other readers


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop when installed (faster callbacks and timers), else the stdlib loop."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a Linux dependency
        return asyncio.new_event_loop()
    loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
    return loop


def run(main: Any) -> Any:
    """Run a coroutine to completion on a fresh loop from `new_event_loop()`."""
    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        return runner.run(main)


class BindObserver(Protocol):
    """Told how many datagrams each transport carried (the client's fallback liveness check)."""

    def received(self, transport: str, count: int, now: float) -> None: ...

    def sent(self, transport: str, count: int, now: float) -> None: ...


class Pump:
    """Moves batches for one core; start with `start()` inside a running loop, end with `stop()`."""

    def __init__(
        self,
        core: TunnelCore,
        device: PacketDevice | None,
        binds: Iterable[DatagramBind] = (),
        *,
        on_event: Callable[[object], None] | None = None,
        batch: int = DEFAULT_BATCH,
        rounds: int = DEFAULT_ROUNDS,
        clock: Callable[[], float] = time.monotonic,
        observer: BindObserver | None = None,
    ) -> None:
        self._core = core
        self.observer = observer
        self.device = device
        self.binds: dict[str, DatagramBind] = {}
        # capability checks once per bind: isinstance() on a runtime-checkable Protocol costs ~50 µs
        self._pressured: dict[str, Backpressure] = {}
        self.on_event = on_event
        self.batch = batch
        self.rounds = rounds
        self.clock = clock
        self.stats: Counter[str] = Counter()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None
        self._device_paused = False
        self._writers: set[str] = set()
        for bind in binds:
            self.add_bind(bind)

    # -- configuration ------------------------------------------------------------------------------
    @property
    def core(self) -> TunnelCore:
        return self._core

    def replace_core(self, core: TunnelCore) -> None:
        """Continue with another session (reconnect); output of the old one is dropped."""
        self._core = core
        self._timer_at = None
        self.kick()

    def add_bind(self, bind: DatagramBind) -> None:
        """Attach a bind under its `transport` and, if it carries several (the QUIC server bind serves
        `quic` and `masque`), under every name in its `transports` too; watched once."""
        names = [bind.transport] + sorted(set(getattr(bind, "transports", ())) - {bind.transport})
        taken = [n for n in names if n in self.binds]
        if taken:
            raise ValueError(f"a {taken[0]} bind is already attached")
        for name in names:
            self.binds[name] = bind
            if isinstance(bind, Backpressure):
                self._pressured[name] = bind
        if self._loop is not None:
            self._watch_bind(bind)

    def remove_bind(self, transport: str) -> DatagramBind:
        bind = self.binds.pop(transport)
        self._pressured.pop(transport, None)
        for alias in [n for n, b in self.binds.items() if b is bind]:
            del self.binds[alias]
            self._pressured.pop(alias, None)
        if self._loop is not None:
            fd = bind.fileno()
            if fd >= 0:
                self._loop.remove_reader(fd)
                if transport in self._writers:
                    self._loop.remove_writer(fd)
                    self._writers.discard(transport)
        self._resume_device_if_drained()
        return bind

    # -- lifecycle ----------------------------------------------------------------------------------
    def start(self) -> None:
        """Register readers on the running loop and arm the core's timer."""
        if self._loop is not None:
            raise RuntimeError("pump already started")
        self._loop = asyncio.get_running_loop()
        if self.device is not None:
            self._watch_device()
        for bind in {id(b): b for b in self.binds.values()}.values():
            self._watch_bind(bind)
        self.kick()

    def stop(self) -> None:
        """Unregister everything (devices and binds stay open: their owner closes them)."""
        loop, self._loop = self._loop, None
        if loop is None:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.device is not None and self.device.fileno() >= 0:
            loop.remove_reader(self.device.fileno())
        for transport, bind in self.binds.items():
            fd = bind.fileno()
            if fd >= 0:
                loop.remove_reader(fd)
                if transport in self._writers:
                    loop.remove_writer(fd)
        self._writers.clear()

    def kick(self) -> None:
        """Flush the core's output now (after calling connect(), close() or config changes on it)."""
        if self._loop is not None:
            self._flush(self.clock())

    # -- readiness callbacks --------------------------------------------------------------------------
    def _watch_device(self) -> None:
        assert self._loop is not None and self.device is not None
        fd = self.device.fileno()
        if fd >= 0:
            self._loop.add_reader(fd, self._device_ready)
        elif isinstance(self.device, Attachable):
            self.device.attach(self._loop, self._device_ready)
        else:
            raise TypeError(f"{type(self.device).__name__} has neither an fd nor attach()")

    def _watch_bind(self, bind: DatagramBind) -> None:
        assert self._loop is not None
        fd = bind.fileno()
        ready = self._bind_ready_callback(bind.transport)
        if fd >= 0:
            self._loop.add_reader(fd, ready)
        elif isinstance(bind, Attachable):
            bind.attach(self._loop, ready)
        else:
            raise TypeError(f"{type(bind).__name__} has neither an fd nor attach()")

    def _bind_ready_callback(self, transport: str) -> Callable[[], None]:
        return lambda: self._bind_ready(transport)

    def _device_ready(self) -> None:
        device = self.device
        if device is None or self._device_paused or self._loop is None:
            return
        full = False
        for _ in range(self.rounds):
            packets = device.read_batch(self.batch)
            if not packets:
                break
            now = self.clock()
            self.stats["device_rx_packets"] += len(packets)
            self._guard(self._core.send_packets, packets, now)
            self._flush(now)
            full = len(packets) >= self.batch
            if not full or self._device_paused:
                break
        if full and device.fileno() < 0 and self._loop is not None:
            self._loop.call_soon(self._device_ready)  # fd-less devices do not re-signal leftovers

    def _bind_ready(self, transport: str) -> None:
        bind = self.binds.get(transport)
        if bind is None or self._loop is None:
            return
        full = False
        for _ in range(self.rounds):
            items = bind.recv_batch(self.batch)
            if not items:
                break
            now = self.clock()
            self.stats["bind_rx_datagrams"] += len(items)
            if self.observer is not None:
                self.observer.received(items[0][1].transport, len(items), now)
            self._guard(self._core.receive_datagrams, items, now)
            self._flush(now)
            full = len(items) >= self.batch
            if not full:
                break
        if full and bind.fileno() < 0 and self._loop is not None:
            self._loop.call_soon(self._bind_ready, transport)

    def _timer_fired(self) -> None:
        self._timer = None
        self._timer_at = None
        now = self.clock()
        self._guard(self._core.handle_timer, now)
        self._flush(now)

    # -- output -----------------------------------------------------------------------------------
    def _flush(self, now: float) -> None:
        core = self._core
        try:
            out = core.datagrams_to_send(now)
        except Exception:
            log.exception("core.datagrams_to_send failed")
            self.stats["core_errors"] += 1
            out = []
        if out:
            self._send(out)
        packets: list[bytes] = []
        while True:
            event = core.next_event()
            if event is None:
                break
            if type(event) is PacketsReceived:
                packets += event.packets
            else:
                if packets:  # keep order: packets before the event that follows them
                    self._write(packets)
                    packets = []
                self._dispatch(event)
                if core is not self._core:  # the handler replaced the session
                    return
        if packets:
            self._write(packets)
        self._arm_timer()

    def _send(self, out: list[Datagram]) -> None:
        first = out[0][1].transport
        if all(addr.transport == first for _, addr in out):
            groups = {first: out}
        else:
            groups = {}
            for item in out:
                groups.setdefault(item[1].transport, []).append(item)
        for transport, items in groups.items():
            bind = self.binds.get(transport)
            if bind is None:
                self.stats[f"tx_dropped_no_bind_{transport}"] += len(items)
                continue
            self.stats["bind_tx_datagrams"] += len(items)
            bind.send_batch(items)
            if self.observer is not None:
                self.observer.sent(transport, len(items), self.clock())
            pressured = self._pressured.get(transport)
            if pressured is not None and pressured.pending():
                self._wait_writable(transport, bind)

    def _write(self, packets: list[bytes]) -> None:
        self.stats["device_tx_packets"] += len(packets)
        if self.device is not None:
            self.device.write_batch(packets)
        else:
            self.stats["device_tx_dropped_no_device"] += len(packets)

    def _dispatch(self, event: object) -> None:
        if self.on_event is None:
            return
        try:
            self.on_event(event)
        except Exception:
            log.exception("event handler failed for %r", event)
            self.stats["handler_errors"] += 1

    def _guard(self, func: Callable[..., None], *args: object) -> None:
        """The core must not raise on peer input; if it does, log it and keep serving everyone else."""
        try:
            func(*args)
        except Exception:
            log.exception("core.%s raised", getattr(func, "__name__", "?"))
            self.stats["core_errors"] += 1

    def _arm_timer(self) -> None:
        loop = self._loop
        if loop is None:
            return
        deadline = self._core.get_timer()
        if deadline == self._timer_at:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timer_at = deadline
        if deadline is not None:
            self._timer = loop.call_later(max(0.0, deadline - self.clock()), self._timer_fired)

    # -- back-pressure ------------------------------------------------------------------------------
    def _wait_writable(self, transport: str, bind: DatagramBind) -> None:
        loop = self._loop
        fd = bind.fileno()
        if loop is None or fd < 0 or transport in self._writers:
            return
        self._writers.add(transport)
        loop.add_writer(fd, self._writable, transport)
        self._pause_device()

    def _writable(self, transport: str) -> None:
        bind = self.binds.get(transport)
        pressured = self._pressured.get(transport)
        if bind is None or pressured is None or pressured.flush() == 0:
            if self._loop is not None and bind is not None:
                self._loop.remove_writer(bind.fileno())
            self._writers.discard(transport)
            self._resume_device_if_drained()

    def _pause_device(self) -> None:
        if self._device_paused or self.device is None or self._loop is None:
            return
        self._device_paused = True
        self.stats["device_pauses"] += 1
        if self.device.fileno() >= 0:
            self._loop.remove_reader(self.device.fileno())

    def _resume_device_if_drained(self) -> None:
        if not self._device_paused or self._writers:
            return
        self._device_paused = False
        if self._loop is not None and self.device is not None:
            if self.device.fileno() >= 0:
                self._loop.add_reader(self.device.fileno(), self._device_ready)
            else:
                self._loop.call_soon(self._device_ready)
