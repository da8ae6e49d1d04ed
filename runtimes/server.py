"""The Linux server forwarder: datagram binds ⇄ `ServerEndpoint` ⇄ a server TUN with kernel NAT.

Set-up, each step pushing its undo only after it worked: TUN device carrying the pool (the server's own
first address of each pool on it, so the kernel routes the pool there), IP forwarding, the nftables
table (masquerade + forward guard), the UDP bind. Packets the core accepted are written to the TUN and
the kernel forwards and masquerades them; replies come back through the TUN and the core routes them to
the owning session by inner destination. `close()` sends DISCONNECT(shutdown) to every client, then
unwinds everything.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field

from oxtunnel.events import EndpointChanged, HandshakeCompleted, RekeyCompleted, SessionTerminated
from oxtunnel.server import ServerEndpoint
from runtimes.interfaces import DatagramBind
from runtimes.linux import netconf, nft, sysctl
from runtimes.linux.tun import TunDevice
from runtimes.pump import Pump
from runtimes.udp import UdpBind
from runtimes.undo import UndoStack

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServerOptions:
    """How the server sits in the host's network (everything protocol-related is in ServerConfig)."""

    interface: str = "oxs0"
    listen_host: str = "::"
    listen_port: int = 51820
    nat: bool = True
    nftables_table: str = "oxidize"
    client_to_client: bool = False
    allow_destinations: frozenset[str] = field(default_factory=frozenset)
    forwarding: bool = True
    udp_gso: bool = True
    udp_gro: bool = True
    tun_offload: bool = True


class ServerForwarder:
    """One running server: owns its device, binds, pump and undo stack."""

    def __init__(self, endpoint: ServerEndpoint, options: ServerOptions, undo: UndoStack) -> None:
        self.endpoint = endpoint
        self.options = options
        self.undo = undo
        self.device: TunDevice | None = None
        self.binds: list[DatagramBind] = []
        self.pump: Pump | None = None
        self.counters: Counter[str] = Counter()
        self.names: dict[bytes, str] = {}  # peer key -> name, remembered for log lines after a removal
        self.started_at = time.time()

    # -- set-up ---------------------------------------------------------------------------------------
    def setup(self) -> None:
        """Create and configure everything; on any failure the caller unwinds `undo`."""
        opts = self.options
        pool = self.endpoint.pool
        addresses = [a for a in (pool.server_ipv4, pool.server_ipv6) if a is not None]
        device = TunDevice(opts.interface, mtu=self.endpoint.config.mtu, vnet_hdr=opts.tun_offload)
        self.device = device
        self.undo.push_local(device.close, f"remove TUN {device.name}")
        netconf.set_link_up(device.name, mtu=device.mtu)
        for address in addresses:
            netconf.add_address(self.undo, device.name, address)
        if opts.forwarding:
            if pool.server_ipv4 is not None:
                sysctl.ensure(self.undo, sysctl.IPV4_FORWARD, "1")
            if pool.server_ipv6 is not None:
                sysctl.ensure(self.undo, sysctl.IPV6_FORWARD, "1")
        plan = nft.NatPlan(
            table=opts.nftables_table,
            interface=device.name,
            pools=tuple(a.network for a in addresses),
            masquerade=opts.nat,
            blocked_destinations=nft.blocked_networks(opts.allow_destinations),
            client_to_client=opts.client_to_client,
        )
        nft.apply(plan, self.undo)
        bind = UdpBind(opts.listen_host, opts.listen_port, gso=opts.udp_gso, gro=opts.udp_gro)
        self.binds.append(bind)
        self.undo.push_local(bind.close, f"close UDP [{opts.listen_host}]:{opts.listen_port}")
        self.pump = Pump(self.endpoint, device, self.binds, on_event=self.on_event)
        log.info("server %s up: UDP [%s]:%d, pool %s", device.name, opts.listen_host, opts.listen_port,
                 ", ".join(str(a.network) for a in addresses))

    def add_bind(self, bind: DatagramBind) -> None:
        """Another transport (QUIC, TCP) feeding the same endpoint."""
        self.binds.append(bind)
        if self.pump is not None:
            self.pump.add_bind(bind)

    # -- events -----------------------------------------------------------------------------------------
    def on_event(self, event: object) -> None:
        kind = type(event)
        if kind is HandshakeCompleted:
            assert isinstance(event, HandshakeCompleted)
            self.counters["handshakes_initial"] += 1
            p = event.parameters
            log.info("peer %s connected from %s (%s)", self.peer_name(event.peer), _where(event.endpoint),
                     ", ".join(str(a) for a in (p.ipv4, p.ipv6) if a is not None))
        elif kind is RekeyCompleted:
            assert isinstance(event, RekeyCompleted)
            self.counters["handshakes_rekey"] += 1
        elif kind is SessionTerminated:
            assert isinstance(event, SessionTerminated)
            self.counters[f"terminated_{event.reason.value}"] += 1
            log.info("peer %s: session ended (%s%s)", self.peer_name(event.peer), event.reason.value,
                     ", said the peer" if event.by_peer else "")
        elif kind is EndpointChanged:
            assert isinstance(event, EndpointChanged)
            self.counters["endpoint_changes"] += 1
            if event.old is not None and event.old.transport != event.new.transport:
                self.counters[f"transport_{event.old.transport}_to_{event.new.transport}"] += 1
            log.info("peer %s roamed: %s -> %s", self.peer_name(event.peer), _where(event.old),
                     _where(event.new))

    def peer_name(self, peer: bytes) -> str:
        """The configured name; for a peer removed since (its session ends after), the last one seen."""
        for p in self.endpoint.config.peers:
            if bytes(p.public_key) == peer:
                name = self.names[peer] = p.name or peer.hex()[:8]
                return name
        return self.names.get(peer, peer.hex()[:8])

    # -- lifecycle --------------------------------------------------------------------------------------
    def start(self) -> None:
        assert self.pump is not None, "setup() first"
        self.pump.start()

    def close(self) -> list[str]:
        """DISCONNECT(shutdown) to every client, then undo every change. Returns undo failures."""
        if self.pump is not None:
            now = self.pump.clock()
            try:
                self.endpoint.close(now)
                self.pump.kick()
            except Exception:  # shutting down: never let this stop the cleanup
                log.exception("sending DISCONNECT to clients failed")
            self.pump.stop()
        return self.undo.unwind()


def _where(addr: object) -> str:
    host = getattr(addr, "host", None)
    if host is None:
        return "?"
    transport = getattr(addr, "transport", "udp")
    text = f"[{host}]:{addr.port}" if ":" in host else f"{host}:{addr.port}"  # type: ignore[attr-defined]
    return text if transport == "udp" else f"{text}/{transport}"


