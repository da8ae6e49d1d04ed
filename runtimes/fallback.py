"""Automatic transport fallback for the client: UDP → QUIC → TCP, and back up when UDP returns.

`FallbackController` is sans-IO (time comes in as `now`): the client runtime reports what it sees —
handshakes, datagrams sent and received per transport, binds that failed — and asks `poll(now)` for
actions. It never touches keys or sessions: a switch only changes where the session's datagrams go
(`ClientSession.set_endpoint`), so keys, the assigned address and inner TCP connections survive, and the
server follows by receiver-index roaming.

Rules (one table, `_NEXT`): a transport is given `attempts × attempt_timeout` to complete the first
handshake; once up, it is declared dead when datagrams were sent but nothing came back for `dead_after`;
a dead or failed transport moves to the next in `order` (after the last, back to the first). While not on
the first transport, the controller probes the first one every `probe_interval` (doubling up to
`probe_max_interval` after each failure): the runtime sends on it for `probe_window`; a datagram received
on it moves the client up for good, silence moves it back. What worked on a network is remembered in a
small JSON state file so the next start on that network begins there (and still probes upward).

Every switch is an event (`TransportSwitched`), a log line and a counter (`switches`).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger("oxtunnel.runtimes.fallback")

TRANSPORTS = ("udp", "quic", "masque", "tcp")


@dataclass(frozen=True)
class FallbackConfig:
    """Client transport selection (`[fallback]` in client.toml)."""

    order: tuple[str, ...] = ("udp", "quic", "tcp")
    """Transports to try, best first ('masque' = CONNECT-IP data path instead of or after 'quic')."""
    attempts: dict[str, int] = field(default_factory=lambda: {"udp": 3, "quic": 1, "masque": 1, "tcp": 1})
    """Handshake attempts per transport before moving on."""
    attempt_timeout: float = 5.0
    """Seconds per handshake attempt (UDP: the core's REKEY_TIMEOUT retry period)."""
    dead_after: float = 12.0
    """Seconds of sending without receiving anything before an established transport counts as dead."""
    probe_interval: float = 30.0
    """Seconds between probes of the first transport while on a fallback."""
    probe_max_interval: float = 600.0
    """Upper bound of the probe interval after repeated failed probes."""
    probe_window: float = 3.0
    """Seconds a probe waits for a datagram on the probed transport."""
    memory_ttl: float = 7 * 86400.0
    """Seconds a remembered per-network choice stays valid."""
    state_file: str | None = None
    """JSON file remembering which transport worked on which network (None = do not remember)."""

    def __post_init__(self) -> None:
        if not self.order or len(set(self.order)) != len(self.order):
            raise ValueError("fallback.order must list distinct transports")
        unknown = [t for t in self.order if t not in TRANSPORTS]
        if unknown:
            raise ValueError(f"fallback.order: unknown transport(s) {unknown}; known: {list(TRANSPORTS)}")
        for name in ("attempt_timeout", "dead_after", "probe_interval", "probe_window"):
            if getattr(self, name) <= 0:
                raise ValueError(f"fallback.{name} must be > 0, got {getattr(self, name)!r}")
        if self.probe_window >= self.probe_interval:
            raise ValueError("fallback.probe_window must be shorter than fallback.probe_interval")


@dataclass(frozen=True)
class TransportSwitched:
    """The client moved its datagrams from one transport to another."""

    old: str | None
    new: str
    reason: str
    at: float


@dataclass(frozen=True)
class Switch:
    """Action: send the session's datagrams over `transport` from now on (open its bind if needed)."""

    transport: str
    reason: str


@dataclass(frozen=True)
class StartProbe:
    """Action: send over `transport` for the probe window (the session follows; see module docstring)."""

    transport: str


class TransportMemory:
    """network id → (transport, when), in a JSON file written atomically (0600)."""

    def __init__(self, path: str | None, ttl: float, wall_clock: object = time.time) -> None:
        self.path = Path(path) if path else None
        self.ttl = ttl
        self._wall = wall_clock
        self.entries: dict[str, dict[str, object]] = {}
        if self.path is not None and self.path.exists():
            try:
                data = json.loads(self.path.read_text())
                self.entries = {k: v for k, v in data.get("networks", {}).items() if isinstance(v, dict)}
            except (OSError, ValueError) as exc:
                log.warning("fallback: ignoring unreadable state file %s: %s", self.path, exc)

    def recall(self, network: str) -> str | None:
        entry = self.entries.get(network)
        if not entry:
            return None
        when = entry.get("at")
        if not isinstance(when, (int, float)) or self._wall() - when > self.ttl:  # type: ignore[operator]
            return None
        transport = entry.get("transport")
        return transport if isinstance(transport, str) and transport in TRANSPORTS else None

    def remember(self, network: str, transport: str) -> None:
        if self.entries.get(network, {}).get("transport") == transport:
            return
        self.entries[network] = {"transport": transport, "at": self._wall()}  # type: ignore[operator]
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                json.dump({"networks": self.entries}, f, indent=1, sort_keys=True)
            tmp.replace(self.path)
        except OSError as exc:
            log.warning("fallback: cannot write state file %s: %s", self.path, exc)


class FallbackController:
    """Chooses the transport; see the module docstring for the rules."""

    def __init__(self, config: FallbackConfig, network: str, memory: TransportMemory | None = None) -> None:
        self.config = config
        self.network = network
        self.memory = memory or TransportMemory(config.state_file, config.memory_ttl)
        self.active: str | None = None
        self.established = False
        self.events: list[TransportSwitched] = []
        self.switches: Counter[tuple[str | None, str]] = Counter()
        self._actions: list[Switch | StartProbe] = []
        self._since = 0.0  # when the active transport was chosen
        self._last_rx = 0.0
        self._first_unanswered_tx: float | None = None
        self._probe_at: float | None = None
        self._probe_interval = config.probe_interval
        self._probing: tuple[str, str, float] | None = None  # (probed, return-to, deadline)

    # --- inputs ----------------------------------------------------------------------------------------
    def start(self, now: float) -> None:
        remembered = self.memory.recall(self.network)
        first = remembered if remembered in self.config.order else self.config.order[0]
        self._switch(first, f"start (remembered for {self.network})" if remembered else "start", now)

    def handshake_completed(self, transport: str, now: float) -> None:
        self.datagram_received(transport, now)

    def datagram_sent(self, now: float) -> None:
        if self._first_unanswered_tx is None:
            self._first_unanswered_tx = now

    def datagram_received(self, transport: str, now: float) -> None:
        if self._probing is not None and transport == self._probing[0]:
            probed = self._probing[0]
            self._probing = None
            self._probe_interval = self.config.probe_interval
            self._switch(probed, "probe succeeded", now, probe=True)
        if transport != self.active:
            return
        self._last_rx = now
        self._first_unanswered_tx = None
        if not self.established:
            self.established = True
            self.memory.remember(self.network, transport)

    def transport_failed(self, transport: str, reason: str, now: float) -> None:
        """The bind itself failed (refused, handshake timeout, pin mismatch, connection closed)."""
        if self._probing is not None and transport == self._probing[0]:
            self._end_probe(now, f"probe failed: {reason}")
        elif transport == self.active:
            self._move_on(f"{transport} failed: {reason}", now)

    # --- outputs ---------------------------------------------------------------------------------------
    def poll(self, now: float) -> list[Switch | StartProbe]:
        cfg = self.config
        active = self.active
        if active is not None and self._probing is None:
            if not self.established:
                budget = cfg.attempts.get(active, 1) * cfg.attempt_timeout
                if now - self._since >= budget:
                    self._move_on(f"no handshake over {active} within {budget:g} s", now)
            elif (
                self._first_unanswered_tx is not None
                and now - max(self._first_unanswered_tx, self._last_rx) >= cfg.dead_after
            ):
                self._move_on(f"nothing received over {active} for {cfg.dead_after:g} s", now)
            elif self._probe_at is not None and now >= self._probe_at and active != cfg.order[0]:
                self._probing = (cfg.order[0], active, now + cfg.probe_window)
                self._actions.append(StartProbe(cfg.order[0]))
                log.info("fallback: probing %s (on %s)", cfg.order[0], active)
        elif self._probing is not None and now >= self._probing[2]:
            self._end_probe(now, "probe: no answer")
        out, self._actions = self._actions, []
        return out

    def get_timer(self) -> float | None:
        cfg = self.config
        if self._probing is not None:
            return self._probing[2]
        timers = []
        if self.active is not None and not self.established:
            timers.append(self._since + cfg.attempts.get(self.active, 1) * cfg.attempt_timeout)
        if self.established and self._first_unanswered_tx is not None:
            timers.append(max(self._first_unanswered_tx, self._last_rx) + cfg.dead_after)
        if self._probe_at is not None and self.active != cfg.order[0]:
            timers.append(self._probe_at)
        return min(timers) if timers else None

    # --- internals --------------------------------------------------------------------------------------
    def _end_probe(self, now: float, reason: str) -> None:
        assert self._probing is not None
        back = self._probing[1]
        self._probing = None
        self._probe_interval = min(self._probe_interval * 2, self.config.probe_max_interval)
        self._switch(back, reason, now, probe=True)

    def _move_on(self, reason: str, now: float) -> None:
        order = self.config.order
        current = self.active
        nxt = order[(order.index(current) + 1) % len(order)] if current in order else order[0]
        self._switch(nxt, reason, now)

    def _switch(self, transport: str, reason: str, now: float, *, probe: bool = False) -> None:
        old = self.active
        self.active = transport
        self._since = now
        self._first_unanswered_tx = None
        if not probe or reason == "probe succeeded":
            self.established = reason == "probe succeeded"
        if transport != self.config.order[0]:
            self._probe_at = now + self._probe_interval
        else:
            self._probe_at = None
        if probe and reason != "probe succeeded":
            self.established = True  # back on the transport that worked before the probe
            self._last_rx = now
        self._actions.append(Switch(transport, reason))
        if old == transport:
            return
        event = TransportSwitched(old, transport, reason, now)
        self.events.append(event)
        self.switches[(old, transport)] += 1
        order = self.config.order
        upward = old is None or (old in order and order.index(transport) < order.index(old))
        log.log(
            logging.INFO if upward else logging.WARNING,
            "fallback: transport %s -> %s (%s)",
            old,
            transport,
            reason,
        )
        if reason == "probe succeeded":
            self.memory.remember(self.network, transport)
