"""The Linux client: `oxtun0`, policy routing, DNS, and a session that reconnects with backoff.

The TUN device and the tunnel socket (fwmark set) live as long as the process. The network
configuration — addresses, MTU, routes, rules, resolv.conf — follows the parameters the server grants
(handshake, rekey after a server restart, CONFIG_UPDATE): it is applied on its own undo stack and
re-applied only when the parameters change. When a session ends (server shut down, handshake timeout,
rekey failure) the routes stay, so nothing leaks outside the tunnel meanwhile, packets are dropped and
counted, and a fresh session starts after a backoff that doubles from `reconnect_min` to `reconnect_max`
(with jitter) and resets after a successful handshake. The server's stable pool gives the same address.
"""

from __future__ import annotations

import ipaddress
import logging
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from oxtunnel.client import ClientSession
from oxtunnel.events import (
    ConfigUpdated,
    EndpointChanged,
    HandshakeCompleted,
    RekeyCompleted,
    SessionParameters,
    SessionTerminated,
)
from oxtunnel.types import PeerAddress
from runtimes.client_transports import TransportManager
from runtimes.interfaces import Datagram, DatagramBind
from runtimes.linux import dns, netconf, routing, sysctl
from runtimes.linux.routing import EXCLUSION_NAMES, RoutingPlan
from runtimes.linux.tun import TunDevice
from runtimes.pump import Pump
from runtimes.udp import UdpBind
from runtimes.undo import UndoStack

log = logging.getLogger(__name__)
DEFAULT_ROUTES = (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))
INITIAL_MTU = 1420


@dataclass(frozen=True)
class ClientOptions:
    """How the client sits in the host's network (protocol settings are in ClientConfig)."""

    interface: str = "oxtun0"
    mode: str = "auto"
    routes: tuple[str, ...] = ()
    exclusions: tuple[str, ...] = EXCLUSION_NAMES
    exclude_routes: tuple[str, ...] = ()
    mtu: int | None = None
    dns: bool = True
    resolv_conf: Path = Path("/etc/resolv.conf")
    dns_backup: Path = Path("/run/oxidize/resolv.conf.backup")
    fwmark: int = 0x4F58
    table: int = 51820
    rule_priority: int = 31000
    reconnect_min: float = 1.0
    reconnect_max: float = 30.0
    relay_hosts: tuple[str, ...] = field(default_factory=tuple)
    udp_offload: bool = True
    tun_offload: bool = True


@dataclass(frozen=True)
class NetworkState:
    """What the parameters ask of the host: compared to decide whether to re-apply."""

    addresses: tuple[str, ...]
    mtu: int
    plan: RoutingPlan
    dns_servers: tuple[str, ...]


def network_state(params: SessionParameters, options: ClientOptions) -> NetworkState:
    """The host configuration for `params` under `options` (pure: tested without root)."""
    addresses = tuple(str(a) for a in (params.ipv4, params.ipv6) if a is not None)
    versions = {a.version for a in (params.ipv4, params.ipv6) if a is not None}
    pushed = list(params.routes)
    defaults: set[int] = {r.version for r in pushed if r.prefixlen == 0}
    wanted_full: set[int]
    if options.mode == "full":
        wanted_full = {4, 6}
    elif options.mode == "split":
        wanted_full = set()
    else:
        wanted_full = defaults
    full_versions = versions & wanted_full
    blocked_versions = wanted_full - versions  # full tunnel asked, no address: block, do not leak
    split = [str(r) for r in pushed if r.prefixlen != 0] + list(options.routes)
    split_versions = versions - full_versions
    full = routing.full_tunnel(
        ifname=options.interface, table=options.table, fwmark=options.fwmark,
        base_priority=options.rule_priority, versions=full_versions, relay_hosts=options.relay_hosts,
        exclusions=options.exclusions, exclude_routes=options.exclude_routes,
        blocked_versions=blocked_versions,
    ) if full_versions else RoutingPlan((), ())
    rest = routing.split_tunnel(ifname=options.interface, routes=split, versions=split_versions)
    plan = RoutingPlan(full.routes + rest.routes, full.rules)
    servers = tuple(str(s) for s in params.dns_servers if s.version in versions) if options.dns else ()
    return NetworkState(addresses, options.mtu or params.mtu, plan, servers)


class _Waiting:
    """Stands in for the session between two attempts: drops packets, fires at the reconnect time."""

    def __init__(self, at: float, then: Callable[[float], None]) -> None:
        self.at = at
        self.then = then
        self.dropped = 0

    def receive_datagrams(self, items: Sequence[Datagram], now: float) -> None:
        pass  # stale datagrams of the old session

    def send_packets(self, packets: Sequence[bytes], now: float) -> None:
        self.dropped += len(packets)

    def handle_timer(self, now: float) -> None:
        if now >= self.at:
            self.then(now)

    def get_timer(self) -> float | None:
        return self.at

    def datagrams_to_send(self, now: float) -> list[Datagram]:
        return []

    def next_event(self) -> object | None:
        return None


class ClientTunnel:
    """One running client. `make_session()` builds a fresh, unconnected ClientSession each attempt."""

    def __init__(
        self,
        make_session: Callable[[], ClientSession],
        options: ClientOptions,
        undo: UndoStack,
        net_undo: UndoStack,
        *,
        clock: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.make_session = make_session
        self.options = options
        self.undo = undo
        self.net_undo = net_undo
        self.clock = clock
        self.jitter = jitter
        self.session: ClientSession | None = None
        self.device: TunDevice | None = None
        self.bind: UdpBind | None = None
        self.pump: Pump | None = None
        self.applied: NetworkState | None = None
        self.counters: Counter[str] = Counter()
        self.handshakes = 0
        self.attempt = 0
        self.state = "starting"
        self.closing = False
        self.on_state: Callable[[str], None] | None = None
        self.endpoint_override: PeerAddress | None = None
        self.on_fatal: Callable[[str], None] | None = None  # the process stops with this message
        self.transports: TransportManager | None = None  # UDP → QUIC → TCP fallback (set before setup)

    # -- set-up ---------------------------------------------------------------------------------------
    def setup(self) -> None:
        opts = self.options
        device = TunDevice(opts.interface, mtu=opts.mtu or INITIAL_MTU, vnet_hdr=opts.tun_offload)
        self.device = device
        self.undo.push_local(device.close, f"remove TUN {device.name}")
        netconf.set_link_up(device.name, mtu=device.mtu)
        bind = UdpBind("::", 0, fwmark=opts.fwmark, gso=opts.udp_offload, gro=opts.udp_offload)
        self.bind = bind
        self.undo.push_local(bind.close, "close the tunnel socket")
        if opts.mode != "split":
            # wg-quick does the same: rp_filter would otherwise drop replies routed by the fwmark
            sysctl.ensure(self.undo, sysctl.SRC_VALID_MARK, "1")
        self.session = self.make_session()
        self.pump = Pump(self.session, device, [bind], on_event=self.on_event, clock=self.clock,
                         observer=self.transports)

    def start(self) -> None:
        assert self.pump is not None and self.session is not None, "setup() first"
        self.pump.start()
        if self.transports is not None:
            self.transports.start(self, self.clock())
        self._connect(self.session, self.clock())

    def live_session(self) -> ClientSession | None:
        """The session the pump drives now (None while waiting to reconnect)."""
        session = self.session
        live = session is not None and self.pump is not None and self.pump.core is session
        return session if live else None

    def restart(self, now: float) -> None:
        """Start a fresh session now (the transport changed before the first handshake completed)."""
        self._connect(self.make_session(), now)

    def _connect(self, session: ClientSession, now: float) -> None:
        assert self.pump is not None
        self.session = session
        if self.endpoint_override is not None:
            session.set_endpoint(self.endpoint_override)
        self.attempt += 1
        self._set_state("connecting")
        if self.pump.core is not session:
            self.pump.replace_core(session)
        session.connect(now)
        self.pump.kick()

    # -- transports (the fallback controller uses these) -------------------------------------------------
    def add_bind(self, bind: DatagramBind) -> None:
        """Another transport for the same session (QUIC, TCP); closed with the tunnel."""
        assert self.pump is not None, "setup() first"
        self.pump.add_bind(bind)
        self.undo.push_local(bind.close, f"close the {bind.transport} transport")

    def switch_endpoint(self, endpoint: PeerAddress) -> None:
        """Send to `endpoint` (another address or transport) from now on; keys and addresses survive.
        Later sessions (after a reconnect) start there too."""
        self.endpoint_override = endpoint
        if self.session is not None:
            self.session.set_endpoint(endpoint)
        self.counters["endpoint_switches"] += 1
        if self.pump is not None:
            self.pump.kick()

    # -- events ---------------------------------------------------------------------------------------
    def on_event(self, event: object) -> None:
        kind = type(event)
        session = self.session
        if kind in (HandshakeCompleted, RekeyCompleted, ConfigUpdated):
            if kind is not ConfigUpdated:
                self.handshakes += 1
            if kind is HandshakeCompleted:
                assert isinstance(event, HandshakeCompleted)
                log.info("connected to %s:%s (%s)", event.endpoint.host, event.endpoint.port,
                         event.endpoint.transport)
                self.attempt = 0
            if self.transports is not None and kind is not ConfigUpdated:
                self.transports.handshake_completed(self.clock())
            if session is not None and session.parameters is not None:
                try:
                    self._configure(session.parameters)
                except Exception as exc:  # the host refuses our configuration: nothing to retry
                    self._set_state("failed")
                    self._fatal(f"configuring {self.options.interface} failed: {exc}")
                    return
            self._set_state("connected")
        elif kind is SessionTerminated:
            assert isinstance(event, SessionTerminated)
            self.counters[f"terminated_{event.reason.value}"] += 1
            if not self.closing:
                self._schedule_reconnect(event)
        elif kind is EndpointChanged:
            self.counters["endpoint_changes"] += 1

    def _schedule_reconnect(self, event: SessionTerminated) -> None:
        assert self.pump is not None
        opts = self.options
        delay = min(opts.reconnect_max, opts.reconnect_min * 2 ** max(0, self.attempt - 1))
        delay *= 0.8 + 0.4 * self.jitter()
        log.warning("session ended (%s%s); reconnecting in %.1fs", event.reason.value,
                    ", said the server" if event.by_peer else "", delay)
        self._set_state("reconnecting")
        waiting = _Waiting(self.clock() + delay, lambda now: self._connect(self.make_session(), now))
        self.pump.replace_core(waiting)

    # -- host network configuration ---------------------------------------------------------------------
    def _configure(self, params: SessionParameters) -> None:
        wanted = network_state(params, self.options)
        if wanted == self.applied:
            return
        assert self.device is not None
        if self.applied is not None:
            log.info("session parameters changed: reconfiguring %s", self.device.name)
            errors = self.net_undo.unwind()
            if errors:
                log.warning("reconfiguring: %s", "; ".join(errors))
        self.applied = None
        try:
            netconf.set_link_up(self.device.name, mtu=wanted.mtu)
            self.device.mtu = wanted.mtu
            for address in wanted.addresses:
                netconf.add_address(self.net_undo, self.device.name, ipaddress.ip_interface(address))
            routing.apply(wanted.plan, self.net_undo)
            if wanted.dns_servers:
                dns.apply(self.net_undo, wanted.dns_servers, path=self.options.resolv_conf,
                          backup=self.options.dns_backup, ifname=self.device.name)
        except Exception:
            self.net_undo.unwind()
            raise
        self.applied = wanted
        log.info("%s: %s, mtu %d; %s", self.device.name, ", ".join(wanted.addresses), wanted.mtu,
                 "; ".join(wanted.plan.describe()) or "no routes")

    def _fatal(self, message: str) -> None:
        if self.on_fatal is None:
            raise RuntimeError(message)
        self.on_fatal(message)

    def _set_state(self, state: str) -> None:
        self.state = state
        if self.on_state is not None:
            self.on_state(state)

    # -- lifecycle ---------------------------------------------------------------------------------------
    def close(self) -> list[str]:
        """DISCONNECT to the server, then restore routes, rules, DNS and remove the device."""
        self.closing = True
        if self.transports is not None:
            self.transports.stop()
        if self.pump is not None:
            session = self.session
            if session is not None and self.pump.core is session:
                try:
                    session.close(self.clock())
                    self.pump.kick()
                except Exception:
                    log.exception("sending DISCONNECT failed")
            self.pump.stop()
        if self.transports is not None:
            self.transports.close_binds()
        return self.net_undo.unwind() + self.undo.unwind()

    @property
    def endpoint(self) -> PeerAddress | None:
        return self.session.endpoint if self.session is not None else None
