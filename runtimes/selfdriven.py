"""Glue between binds that run their own protocol machinery (QUIC, TCP) and the pump's event loop.

Such a bind multiplexes several descriptors behind one epoll fd and has timers of its own (QUIC loss
recovery, TCP sweeps). It therefore reports `fileno() == -1` and implements the pump's `Attachable`
protocol: `attach(loop, ready)` watches the epoll fd, keeps one loop timer armed at `get_timer()`, and
calls `ready()` whenever `recv_batch` has something. Tests drive the same methods directly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class SelfDriven:
    """Mixin: subclasses provide `poll_fd()`, `poll()`, `has_data()`, `get_timer()`, `handle_timer(now)`."""

    _loop: asyncio.AbstractEventLoop | None = None
    _ready_cb: Callable[[], None] | None = None
    _loop_timer: asyncio.TimerHandle | None = None
    _loop_timer_at: float | None = None
    clock: Callable[[], float]

    def poll_fd(self) -> int:
        raise NotImplementedError

    def poll(self) -> None:
        raise NotImplementedError

    def has_data(self) -> bool:
        raise NotImplementedError

    def get_timer(self) -> float | None:
        raise NotImplementedError

    def handle_timer(self, now: float) -> None:
        raise NotImplementedError

    def fileno(self) -> int:
        return -1  # the pump uses attach(); see the module docstring

    def attach(self, loop: asyncio.AbstractEventLoop, ready: Callable[[], None]) -> None:
        self._loop, self._ready_cb = loop, ready
        loop.add_reader(self.poll_fd(), self._on_readable)
        self.rearm()

    def detach(self) -> None:
        loop, self._loop = self._loop, None
        if loop is not None:
            loop.remove_reader(self.poll_fd())
        if self._loop_timer is not None:
            self._loop_timer.cancel()
            self._loop_timer = None
        self._loop_timer_at = None

    def rearm(self) -> None:
        """Keep exactly one loop timer at the bind's next deadline (call after any activity)."""
        loop = self._loop
        if loop is None:
            return
        deadline = self.get_timer()
        if deadline == self._loop_timer_at and self._loop_timer is not None:
            return
        if self._loop_timer is not None:
            self._loop_timer.cancel()
            self._loop_timer = None
        self._loop_timer_at = deadline
        if deadline is not None:
            self._loop_timer = loop.call_later(max(0.0, deadline - self.clock()), self._on_timer)

    def _signal(self) -> None:
        if self._ready_cb is not None and self.has_data():
            self._ready_cb()
        self.rearm()

    def _on_readable(self) -> None:
        self.poll()
        self._signal()

    def _on_timer(self) -> None:
        self._loop_timer = None
        self._loop_timer_at = None
        self.handle_timer(self.clock())
        self._signal()
