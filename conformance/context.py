"""What a check function receives: the target, the transport under test, and shared run state.

Profile-specific helpers (sessions, echoes) live in ``conformance/v3/support.py`` and
``conformance/legacy/support.py``; this module only knows links, timing, the observer and results.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from typing import Any

from conformance.links import Link, TcpLink, UdpLink
from conformance.observer import Observer
from conformance.registry import Outcome, SkipCheck, Status
from conformance.target import Target, Timing
from conformance.v3.handshake import Timestamps


class Pacer:
    """A token bucket the suite spends before every INIT a server would process (valid mac1).

    Servers rate-limit handshakes per source address (WireGuard-style); a suite that ignored that would
    report its own throttling as failures. Floods deliberately bypass the pacer."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self.tokens = burst
        self.stamp = time.monotonic()

    def wait(self) -> None:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            time.sleep((1 - self.tokens) / self.rate)
            self.tokens, self.stamp = 1.0, time.monotonic()
        self.tokens -= 1


@dataclass
class RunState:
    """Shared by all checks of one target: results so far, timestamps, observer, cached sessions."""

    target: Target
    observer: Observer | None = None
    observer_error: str | None = None
    results: dict[tuple[str, str], Outcome] = field(default_factory=dict)
    timestamps: Timestamps = field(default_factory=Timestamps)
    cache: dict[str, Any] = field(default_factory=dict)
    pacer: Pacer = field(init=False)

    def __post_init__(self) -> None:
        self.pacer = Pacer(self.target.timing.handshake_rate, max(1.0, self.target.timing.handshake_rate * 2))


class CheckContext:
    def __init__(self, run: RunState, transport: str) -> None:
        self.run = run
        self.target = run.target
        self.transport = transport
        self._links: list[Link] = []
        self._owned: list[Any] = []
        self.notes: list[str] = []

    @property
    def timing(self) -> Timing:
        return self.target.timing

    @property
    def observer(self) -> Observer:
        if self.run.observer is None:
            raise SkipCheck(
                self.run.observer_error
                or "target has no [observer] (a vantage point behind the server, see conformance/README.md)"
            )
        return self.run.observer

    def link(self, source: str | None = None, transport: str | None = None) -> Link:
        """A fresh link to the target on this check's transport; closed after the check."""
        kind = transport or self.transport
        port = self.target.port(kind)
        link: Link
        if kind == "udp":
            link = UdpLink(self.target.address, port, source)
        elif kind == "tcp":
            link = TcpLink(self.target.address, port, source)
        else:
            from conformance.quic_link import QuicLink

            link = QuicLink(self.target.address, port, self.target.quic_server_name, source=source)
        self._links.append(link)
        return link

    def own(self, closable: Any) -> None:
        """Close ``closable`` (anything with ``close()``) when the check ends."""
        self._owned.append(closable)

    def release(self, link: Link) -> None:
        """Close a link now (TCP servers limit connections per source address)."""
        link.close()
        if link in self._links:
            self._links.remove(link)

    def adopt(self, link: Link) -> Link:
        self._links.append(link)
        return link

    def silence(self, link: Link, window: float | None = None) -> list[bytes]:
        """Everything ``link`` receives during the silence window (a check usually wants [])."""
        deadline = time.monotonic() + (self.timing.silence_window if window is None else window)
        got: list[bytes] = []
        while (remaining := deadline - time.monotonic()) > 0:
            data = link.recv(remaining)
            if data is None:
                break
            got.append(data)
        return got

    def result(self, check_id: str, transport: str | None = None) -> Status | None:
        outcome = self.run.results.get((check_id, transport or self.transport))
        return outcome.status if outcome else None

    def note(self, text: str) -> None:
        self.notes.append(text)

    def close(self) -> None:
        for item in [*self._links, *self._owned]:
            with contextlib.suppress(OSError):
                item.close()
        self._links.clear()
        self._owned.clear()
