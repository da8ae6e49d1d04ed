"""The server's fallback transports beside UDP: TCP 51821, QUIC 51822 with the MASQUE proxy on it, and
the TUN through which general CONNECT-IP clients reach the network.

Everything is opened step by step on the forwarder's undo stack (a failed start leaves nothing behind):

* `TcpServerBind` and `QuicServerBind` join the forwarder's pump (the QUIC bind under `quic` and
  `masque`: our client's CONNECT-IP data path reaches the core with transport `masque`);
* with MASQUE forwarding on, a TUN of its own (`oxm0`) carries the MASQUE pools (the proxy's service
  address on it, so the kernel routes replies back), and an nftables table of its own masquerades them
  and repeats the forward guard (pool sources only; the destination policy). The proxy reads replies from
  that TUN and hands each to the tunnel that owns the destination address.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from runtimes.interfaces import DatagramBind
from runtimes.linux import netconf, nft
from runtimes.linux.tun import TunDevice
from runtimes.masque.config import MasqueConfig
from runtimes.masque.proxy import MasqueProxy
from runtimes.quic.certs import ServerCertificate
from runtimes.quic.config import QuicConfig, tunnel_mtu_for
from runtimes.quic.server import ConnectionHandler, QuicServerBind, ServerConnection
from runtimes.tcp import TcpConfig, TcpServerBind
from runtimes.undo import UndoStack

log = logging.getLogger("oxtunnel.runtimes.server")


@dataclass(frozen=True)
class ServerTransportOptions:
    """Which transports to open and how (None = off)."""

    tcp: TcpConfig | None = None
    quic: QuicConfig | None = None
    certificate: ServerCertificate | None = None
    masque: MasqueConfig | None = None
    masque_interface: str | None = None
    """TUN for CONNECT-IP forwarding; None = the proxy serves CONNECT-UDP and our own clients only."""
    nftables_table: str = "oxidize"
    nat: bool = True
    allow_destinations: frozenset[str] = field(default_factory=frozenset)


class ServerTransports:
    """The opened transports; `binds` go to the forwarder's pump."""

    def __init__(self) -> None:
        self.binds: list[DatagramBind] = []
        self.tcp: TcpServerBind | None = None
        self.quic: QuicServerBind | None = None
        self.proxy: MasqueProxy | None = None
        self.masque_device: TunDevice | None = None

    def describe(self) -> list[str]:
        out = []
        if self.tcp is not None:
            out.append(f"TCP :{self.tcp.local_port}")
        if self.quic is not None:
            alpns = "oxtunnel/3" + (", h3 (MASQUE)" if self.proxy is not None else "")
            out.append(f"QUIC :{self.quic.local_port} ({alpns})")
        if self.masque_device is not None:
            out.append(f"CONNECT-IP via {self.masque_device.name}")
        return out


@contextlib.contextmanager
def _naming(what: str, host: str, port: int) -> Iterator[None]:
    """A failed listen says which transport and address (e.g. "QUIC (UDP) [::]:51822: Address in use")."""
    try:
        yield
    except OSError as exc:
        where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        raise OSError(exc.errno, f"{what} {where}: {exc.strerror or exc}") from exc


def masque_table_name(table: str) -> str:
    """Our second nftables table (MASQUE pools), derived from the server's table name."""
    return f"{table[:29]}_mq"


def open_transports(options: ServerTransportOptions, undo: UndoStack) -> ServerTransports:
    """Open what `options` asks for; each step's undo is pushed as soon as it worked."""
    out = ServerTransports()
    if options.tcp is not None:
        with _naming("TCP", options.tcp.host, options.tcp.port):
            tcp = TcpServerBind(options.tcp)
        undo.push_local(tcp.close, f"close TCP :{options.tcp.port}")
        out.tcp = tcp
        out.binds.append(tcp)
    if options.quic is None:
        return out
    if options.certificate is None:
        raise ValueError("QUIC needs a server certificate")
    handlers: dict[str, Callable[[ServerConnection, QuicServerBind], ConnectionHandler]] = {}
    if options.masque is not None:
        device = None
        if options.masque_interface:
            device = _masque_device(options, undo)
            out.masque_device = device
        proxy = MasqueProxy(options.masque, device=device)  # after the TUN: its addresses are denied
        undo.push_local(proxy.close, "stop the MASQUE proxy")
        out.proxy = proxy
        handlers["h3"] = proxy.handler_for
    with _naming("QUIC (UDP)", options.quic.host, options.quic.port):
        quic = QuicServerBind(options.quic, options.certificate, handlers)
    undo.push_local(quic.close, f"close QUIC :{options.quic.port}")
    out.quic = quic
    out.binds.append(quic)
    return out


def _masque_device(options: ServerTransportOptions, undo: UndoStack) -> TunDevice:
    masque = options.masque
    assert masque is not None and options.masque_interface is not None and options.quic is not None
    pools = [ipaddress.ip_network(p) for p in (masque.ipv4_pool, masque.ipv6_pool) if p]
    mtu = tunnel_mtu_for(options.quic.path_mtu)
    device = TunDevice(options.masque_interface, mtu=mtu)
    undo.push_local(device.close, f"remove TUN {device.name}")
    netconf.set_link_up(device.name, mtu=mtu)
    for pool in pools:
        service = next(iter(pool.hosts()))
        netconf.add_address(undo, device.name, ipaddress.ip_interface(f"{service}/{pool.prefixlen}"))
    plan = nft.NatPlan(
        table=masque_table_name(options.nftables_table),
        interface=device.name,
        pools=tuple(pools),
        masquerade=options.nat,
        blocked_destinations=nft.blocked_networks(
            options.allow_destinations | set(masque.allow_destinations)),
    )
    nft.apply(plan, undo)
    log.info("MASQUE CONNECT-IP forwarding through %s (%s), nftables table inet %s", device.name,
             ", ".join(map(str, pools)), plan.table)
    return device
