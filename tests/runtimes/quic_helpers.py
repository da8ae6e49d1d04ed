"""Drive QUIC binds over loopback in tests (a stand-in for the pump loop)."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterable
from typing import Any


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Loop:
    """Polls binds like the pump does: recv_batch (kept per bind in `received`) and due timers."""

    def __init__(self, *binds: Any) -> None:
        self.binds = list(binds)
        self.received: dict[int, list[tuple[bytes, Any]]] = {id(b): [] for b in binds}

    def got(self, bind: Any) -> list[tuple[bytes, Any]]:
        return self.received[id(bind)]

    def step(self) -> None:
        now = time.monotonic()
        for b in self.binds:
            self.received[id(b)] += b.recv_batch(4096)
            t = b.get_timer()
            if t is not None and t <= now:
                b.handle_timer(now)

    def until(self, cond: Callable[[], bool], timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > deadline:
                raise AssertionError("condition not reached in time")
            self.step()
            time.sleep(0.0005)

    def run(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.step()
            time.sleep(0.0005)


def all_of(*conds: Callable[[], bool]) -> Callable[[], bool]:
    return lambda: all(c() for c in conds)


def closed(binds: Iterable[Any]) -> None:
    for b in binds:
        b.close()
