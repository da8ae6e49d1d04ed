"""The client's transports at run time: opens and closes the UDP/QUIC/MASQUE/TCP binds the fallback
controller (`runtimes.fallback`) chooses, and moves the session between them.

The UDP bind lives as long as the client (the upward probes need it); QUIC, MASQUE and TCP binds are
opened on a switch and closed when the client leaves them. A switch never touches keys: an established
session only changes where its datagrams go (`ClientSession.set_endpoint`) and sends an answered probe
over the new path, so the server follows by roaming at once and the controller sees that the path works.
A session whose first handshake has not completed is simply started afresh over the new transport (it
has nothing to lose, and its INIT goes out now instead of at the next retransmission).

Liveness comes from the pump (`observer`): datagrams sent and received per transport. Before the
controller declares an established transport dead, one probe asks the server for an answer, so a
one-way flow (an upload with nothing coming back) is not mistaken for a dead path. Upward probes send a
probe over the better transport and one over the current path right after it, so the server keeps
sending on the current path until the better one has answered.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from oxtunnel.types import PeerAddress
from runtimes.fallback import FallbackConfig, FallbackController, StartProbe, Switch, TransportMemory
from runtimes.interfaces import DatagramBind
from runtimes.quic.client import QuicClientBind
from runtimes.quic.config import QuicConfig
from runtimes.tcp import TcpClientBind, TcpConfig

log = logging.getLogger("oxtunnel.runtimes.fallback")

PULL_BACK_DELAY = 0.05  # seconds between an upward probe and the probe that keeps the server where it is


@dataclass(frozen=True)
class ClientTransports:
    """Where the server listens on each transport and how to verify it."""

    server_host: str
    udp_port: int = 51820
    quic_port: int = 51822
    tcp_port: int = 51821
    pin: str | None = None
    """SHA-256 SPKI pin of the server's QUIC certificate (QUIC and MASQUE refuse to run without it)."""
    fallback: FallbackConfig = field(default_factory=FallbackConfig)
    quic: QuicConfig = field(default_factory=QuicConfig)
    tcp: TcpConfig = field(default_factory=TcpConfig)
    masque_service: str = "10.89.0.1"
    """The MASQUE proxy's service address (CONNECT-IP scope of our data path)."""
    fwmark: int | None = None
    network: str = "default"
    """Identifies the network the client is on (the per-network memory's key)."""


class Session(Protocol):
    """What the manager needs of the current `ClientSession`."""

    established: bool
    active: bool

    def set_endpoint(self, endpoint: PeerAddress) -> None: ...

    def send_probe(self, now: float, endpoint: PeerAddress | None = None) -> int | None: ...


class PumpLike(Protocol):
    binds: dict[str, DatagramBind]

    def add_bind(self, bind: DatagramBind) -> None: ...

    def remove_bind(self, transport: str) -> DatagramBind: ...

    def kick(self) -> None: ...


class TunnelLike(Protocol):
    """What the manager needs of `runtimes.client.ClientTunnel`."""

    pump: Any
    endpoint_override: PeerAddress | None

    def live_session(self) -> Any: ...

    def restart(self, now: float) -> None: ...


BindFactory = Callable[[str], DatagramBind]


class TransportManager:
    """Glue between the fallback controller, the pump's binds and the session (see module docstring)."""

    def __init__(
        self,
        options: ClientTransports,
        *,
        memory: TransportMemory | None = None,
        open_bind: BindFactory | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.options = options
        self.controller = FallbackController(options.fallback, options.network, memory)
        self.clock = clock
        self._open_bind = open_bind or self._default_bind
        self.tunnel: TunnelLike | None = None
        self.pump: PumpLike | None = None
        self.stopped = False
        self._current: str | None = None  # the transport of the last Switch
        self.endpoints: dict[str, PeerAddress] = {
            "udp": PeerAddress(options.server_host, options.udp_port, "udp")
        }
        self.counters: Counter[str] = Counter()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None
        self._verify_sent_at: float | None = None
        self._unanswered_since: float | None = None

    # -- wiring -------------------------------------------------------------------------------------
    @property
    def active(self) -> str:
        return self.controller.active or self.options.fallback.order[0]

    @property
    def switches(self) -> int:
        return sum(n for (old, _new), n in self.controller.switches.items() if old is not None)

    def endpoint(self) -> PeerAddress:
        """Where a new session's INIT goes: the active transport's server address."""
        return self.endpoints.get(self.active, self.endpoints["udp"])

    def start(self, tunnel: TunnelLike, now: float) -> None:
        """Begin on the remembered or first transport (before the first session connects)."""
        self.tunnel = tunnel
        self.pump = tunnel.pump
        try:
            self._loop = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None
        self.controller.start(now)
        self._act(now, connecting=True)

    def stop(self) -> None:
        """No more switches or probes (the tunnel is closing)."""
        self.stopped = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def close_binds(self) -> None:
        """Close every bind this manager opened (the UDP bind belongs to the tunnel)."""
        if self.pump is not None:
            for transport in [t for t in list(self.pump.binds) if t != "udp"]:
                self._close_bind(transport)

    def session(self) -> Session | None:
        return self.tunnel.live_session() if self.tunnel is not None else None

    # -- inputs (pump observer, session events) -------------------------------------------------------
    def received(self, transport: str, count: int, now: float) -> None:
        if transport == self.active:
            self._unanswered_since = None
            self._verify_sent_at = None
        self.controller.datagram_received(transport, now)
        self._act(now)

    def sent(self, transport: str, count: int, now: float) -> None:
        if transport != self.active:
            return
        if self._unanswered_since is None:
            self._unanswered_since = now
        self.controller.datagram_sent(now)
        self._arm()

    def handshake_completed(self, now: float) -> None:
        session = self.session()
        endpoint = getattr(session, "endpoint", None)
        if isinstance(endpoint, PeerAddress):
            self.controller.handshake_completed(endpoint.transport, now)
            self._act(now)

    # -- timer ------------------------------------------------------------------------------------------
    def get_timer(self) -> float | None:
        timers = [t for t in (self.controller.get_timer(), self._verify_at()) if t is not None]
        return min(timers) if timers else None

    def handle_timer(self, now: float) -> None:
        verify = self._verify_at()
        if verify is not None and now >= verify:
            self._verify_sent_at = now
            session = self.session()
            if session is not None and session.established and session.send_probe(now) is not None:
                self.counters["liveness_probes"] += 1
                log.debug("fallback: nothing back over %s for %.1f s: probing", self.active,
                          now - (self._unanswered_since or now))
        self._act(now)

    def _verify_at(self) -> float | None:
        """Half-way to "dead": ask the server for an answer once."""
        if not self.controller.established or self._unanswered_since is None or self._verify_sent_at:
            return None
        return self._unanswered_since + self.options.fallback.dead_after / 2

    def _arm(self) -> None:
        loop = self._loop
        if loop is None:
            return
        at = self.get_timer()
        if at == self._timer_at and self._timer is not None:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timer_at = at
        if at is not None:
            self._timer = loop.call_later(max(0.0, at - self.clock()), self._fired)

    def _fired(self) -> None:
        self._timer = None
        self._timer_at = None
        self.handle_timer(self.clock())

    # -- actions ----------------------------------------------------------------------------------------
    def _act(self, now: float, *, connecting: bool = False) -> None:
        if self.stopped:
            return
        self._check_binds(now)
        for _ in range(8):  # a failed open produces the next switch at once; bounded
            actions = self.controller.poll(now)
            if not actions:
                break
            for action in actions:
                if isinstance(action, Switch):
                    self._switch(action.transport, now, connecting, action.reason)
                elif isinstance(action, StartProbe):
                    self._probe(action.transport, now)
        self._arm()

    def _check_binds(self, now: float) -> None:
        """A QUIC/TCP bind that closed itself (refused, pin mismatch, timeout) is a failed transport."""
        if self.pump is None:
            return
        for transport, bind in list(self.pump.binds.items()):
            if transport == "udp" or getattr(bind, "state", None) != "closed":
                continue
            reason = getattr(bind, "error", None) or "closed"
            self._close_bind(transport)
            self.counters[f"failed_{transport}"] += 1
            self.controller.transport_failed(transport, reason, now)

    def _switch(self, transport: str, now: float, connecting: bool, reason: str = "") -> None:
        if (transport != "udp" and transport == self._current and not reason.startswith("probe")
                and self.pump is not None and transport in self.pump.binds):
            # the only transport left failed (e.g. `client.transport = "quic"` and the client's address
            # changed under its connected socket): a fresh connection, from wherever we are now
            log.info("fallback: reopening %s (%s)", transport, reason)
            self._close_bind(transport)
        self._current = transport
        endpoint = self._ensure_bind(transport, now)
        if endpoint is None:
            return
        self._unanswered_since = None
        self._verify_sent_at = None
        for other in [t for t in list(self.pump.binds) if t not in ("udp", transport)] if self.pump else []:
            self._close_bind(other)
        if self.tunnel is not None:
            self.tunnel.endpoint_override = endpoint  # where the next session starts
        session = self.session()
        if connecting or session is None:
            return
        if session.established:
            session.set_endpoint(endpoint)
            if session.send_probe(now) is not None:
                self.counters["switch_probes"] += 1
        elif self.tunnel is not None:
            self.tunnel.restart(now)  # nothing to keep: a fresh INIT over the new transport, now
        if self.pump is not None:
            self.pump.kick()

    def _probe(self, transport: str, now: float) -> None:
        endpoint = self._ensure_bind(transport, now)
        session = self.session()
        if endpoint is None or session is None or not session.established:
            return
        self.counters[f"probes_{transport}"] += 1
        session.send_probe(now, endpoint)
        if self.pump is not None:
            self.pump.kick()
        if self._loop is not None:
            self._loop.call_later(PULL_BACK_DELAY, self._pull_back)
        else:
            self._pull_back()

    def _pull_back(self) -> None:
        """Keep the server on the current path while the probe is out (a newer packet over it)."""
        session = self.session()
        if session is not None and session.established:
            session.send_probe(self.clock())
            if self.pump is not None:
                self.pump.kick()

    # -- binds ------------------------------------------------------------------------------------------
    def _ensure_bind(self, transport: str, now: float) -> PeerAddress | None:
        if self.pump is None:
            return self.endpoints.get(transport)
        bind = self.pump.binds.get(transport)
        if bind is None:
            try:
                bind = self._open_bind(transport)
            except (OSError, ValueError) as exc:
                log.warning("fallback: cannot open %s to %s: %s", transport, self.options.server_host, exc)
                self.counters[f"failed_{transport}"] += 1
                self.controller.transport_failed(transport, str(exc), now)
                return None
            self.pump.add_bind(bind)
        server = getattr(bind, "server", None)
        endpoint = server if isinstance(server, PeerAddress) else self.endpoints.get(transport)
        if endpoint is not None:
            self.endpoints[transport] = endpoint
        return endpoint

    def _close_bind(self, transport: str) -> None:
        if self.pump is None or transport not in self.pump.binds:
            return
        bind = self.pump.remove_bind(transport)
        try:
            bind.close()
        except OSError as exc:
            log.debug("fallback: closing %s: %s", transport, exc)

    def _default_bind(self, transport: str) -> DatagramBind:
        o = self.options
        if transport == "quic":
            return QuicClientBind(o.server_host, o.quic_port, o.quic, pin=o.pin, fwmark=o.fwmark)
        if transport == "tcp":
            return TcpClientBind(o.server_host, o.tcp_port, o.tcp, fwmark=o.fwmark)
        if transport == "masque":
            from runtimes.masque.client import MasqueClientBind

            return MasqueClientBind(o.server_host, o.quic_port, o.quic, pin=o.pin, fwmark=o.fwmark,
                                    service=o.masque_service, service_port=o.udp_port)
        raise ValueError(f"no client bind for transport {transport!r}")

    # -- status -----------------------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        c = self.controller
        return {
            "transport": self.active,
            "transport_switches": self.switches,
            "fallback_order": list(self.options.fallback.order),
            "network": self.options.network,
            "recent_switches": [
                {"from": e.old, "to": e.new, "reason": e.reason} for e in c.events[-5:] if e.old is not None
            ],
            "counters": dict(self.counters),
        }


def network_id(server_host: str) -> str:
    """Which network we are on, as seen on the way to the server: gateway and interface (or "direct").

    The per-network memory is keyed by it, so a laptop remembers "QUIC at the hotel, UDP at home"."""
    try:
        from pyroute2 import IPRoute

        with IPRoute() as ipr:
            routes = ipr.route("get", dst=server_host)
            if not routes:
                return "unknown"
            route = routes[0]
            gateway = route.get_attr("RTA_GATEWAY") or "direct"
            oif = route.get_attr("RTA_OIF")
            links = ipr.get_links(oif) if oif else []
            name = links[0].get_attr("IFLA_IFNAME") if links else "?"
            return f"{gateway}%{name}"
    except Exception as exc:  # no route yet, no netlink: one shared entry is still correct behaviour
        log.debug("fallback: cannot identify the network: %s", exc)
        return "unknown"
