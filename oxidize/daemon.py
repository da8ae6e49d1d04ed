"""The `oxidize server` and `oxidize up` processes: settings → core config → runtime, plus the process
plumbing (instance directory, stale-state recovery, signals, control socket, metrics).

Order of a start: claim the instance directory (refuse if a live process owns it; undo what a dead one
left), read the key, build the core, set the host up step by step (each step's undo is recorded and
persisted), then serve until SIGINT/SIGTERM or `oxidize down`. Any failure on the way unwinds what was
done and exits 1 with the reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from oxidize import control, keys, metrics
from oxidize.config import ClientSettings, ServerSettings
from oxtunnel.client import ClientSession
from oxtunnel.config import Cipher, ClientConfig, PeerConfig, ServerConfig
from oxtunnel.server import ServerEndpoint
from oxtunnel.types import PeerAddress
from runtimes import pump
from runtimes.client import ClientOptions, ClientTunnel
from runtimes.linux import recovery
from runtimes.server import ServerForwarder, ServerOptions
from runtimes.undo import UndoStack

log = logging.getLogger("oxidize")
CIPHERS = {"chacha20-poly1305": Cipher.CHACHA20_POLY1305, "aes-256-gcm": Cipher.AES_256_GCM}
EXIT_OK, EXIT_FAILURE = 0, 1


class StartError(RuntimeError):
    """The start failed; everything done so far has been undone."""


# -- shared process plumbing ------------------------------------------------------------------------------
class Instance:
    """The state directory of one running process: pid file, control socket, undo files."""

    def __init__(self, state_dir: Path, interface: str) -> None:
        self.dir = control.instance_dir(state_dir, interface)
        self.name = control.instance_name(interface)

    def claim(self) -> None:
        control.make_instance_dir(self.dir)
        try:
            errors = recovery.recover(self.dir)
        except recovery.StillRunning as exc:
            raise StartError(f"{self.name} is already running ({exc}); stop it with `oxidize down` "
                             "or `systemctl stop`") from None
        if errors:
            raise StartError("a previous run left changes that could not be undone:\n  "
                             + "\n  ".join(errors))
        (self.dir / "pid").write_text(f"{os.getpid()}\n")

    def undo_stack(self, order: int, name: str) -> UndoStack:
        return UndoStack(recovery.state_file(self.dir, order, name))

    @property
    def socket(self) -> Path:
        return self.dir / "control.sock"

    def release(self) -> None:
        for name in ("control.sock", "pid"):
            (self.dir / name).unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            self.dir.rmdir()


# Unix time of monotonic 0, fixed once: the same core timestamp always maps to the same wall time
_WALL_OFFSET = time.time() - time.monotonic()


def wall_time(monotonic_value: float | None) -> float | None:
    """A core timestamp (monotonic `now`) as Unix time, None for "never"."""
    if monotonic_value is None or monotonic_value == float("-inf"):
        return None
    return round(monotonic_value + _WALL_OFFSET, 6)


def _endpoint_text(addr: PeerAddress | None) -> str | None:
    if addr is None:
        return None
    return f"[{addr.host}]:{addr.port}" if ":" in addr.host else f"{addr.host}:{addr.port}"


def _drops(trace: Any) -> dict[str, int]:
    return {reason.value: count for reason, count in trace.counts.items() if count}


async def _serve(
    instance: Instance,
    start: Callable[[], None],
    stop: Callable[[], list[str]],
    status: Callable[[], dict[str, Any]],
    extra: Callable[[dict[str, Any]], dict[str, Any] | None] | None = None,
    metrics_listen: tuple[str, int] | None = None,
    collect: Callable[[], list[metrics.Family]] | None = None,
) -> list[str]:
    """Run until a signal or `down`; returns the undo failures of `stop()`."""
    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, done.set)

    async def handle(request: dict[str, Any]) -> dict[str, Any]:
        cmd = request.get("cmd")
        if cmd == "status":
            return status()
        if cmd == "down":
            loop.call_soon(done.set)
            return {"pid": os.getpid(), "stopping": True}
        if extra is not None:
            reply = extra(request)
            if reply is not None:
                return reply
        raise ValueError(f"unknown command {cmd!r}")

    servers: list[asyncio.AbstractServer] = []
    try:
        start()
        servers.append(await control.serve(instance.socket, handle))
        if metrics_listen is not None and collect is not None:
            servers.append(await metrics.serve(metrics_listen[0], metrics_listen[1], collect))
            log.info("metrics on http://%s:%d/metrics", *metrics_listen)
        await done.wait()
        log.info("stopping")
    finally:
        for server in servers:
            server.close()
        errors = stop()
    return errors


def _run(instance: Instance, setup: Callable[[], None], body: Callable[[], Any]) -> int:
    """Claim, set up (unwinding on failure), serve; exit status with a clear message on failure."""
    try:
        instance.claim()
    except StartError as exc:
        log.error("%s", exc)
        return EXIT_FAILURE
    try:
        try:
            setup()
        except Exception as exc:
            log.error("start failed: %s", exc)
            log.debug("start failure", exc_info=True)
            return EXIT_FAILURE
        errors: list[str] = pump.run(body())
        if errors:
            log.error("cleanup incomplete: %s", "; ".join(errors))
            return EXIT_FAILURE
        return EXIT_OK
    finally:
        instance.release()


# -- server -----------------------------------------------------------------------------------------------
def server_config(settings: ServerSettings) -> ServerConfig:
    return ServerConfig(
        private_key=keys.read_private(settings.private_key_file),
        peers=tuple(PeerConfig(public_key=p.public_key, name=p.name) for p in settings.peers),
        wall_clock=time.time,
        ipv4_pool=str(settings.ipv4_pool) if settings.ipv4_pool else None,
        ipv6_pool=str(settings.ipv6_pool) if settings.ipv6_pool else None,
        mtu=settings.mtu,
        keepalive_interval=settings.keepalive,
        dns_servers=settings.dns,
        routes=tuple(str(r) for r in settings.routes),
        allow_plaintext=settings.allow_plaintext,
        allowed_destinations=frozenset(settings.allow_destinations),
        allow_client_to_client=settings.client_to_client,
    )


def run_server(settings: ServerSettings) -> int:
    instance = Instance(settings.state_dir, settings.interface)
    undo = instance.undo_stack(1, "base")
    holder: dict[str, ServerForwarder] = {}

    def setup() -> None:
        endpoint = ServerEndpoint(server_config(settings), rng=os.urandom)
        options = ServerOptions(
            interface=settings.interface, listen_host=settings.listen.host, listen_port=settings.listen.port,
            nat=settings.nat, nftables_table=settings.nftables_table,
            client_to_client=settings.client_to_client,
            allow_destinations=frozenset(settings.allow_destinations),
            udp_gso=settings.udp_offload, udp_gro=settings.udp_offload,
        )
        forwarder = ServerForwarder(endpoint, options, undo)
        try:
            forwarder.setup()
        except BaseException:
            errors = undo.unwind()
            if errors:
                log.error("undoing the failed start: %s", "; ".join(errors))
            raise
        holder["f"] = forwarder

    def body() -> Any:
        forwarder = holder["f"]
        listen = (settings.metrics.host, settings.metrics.port) if settings.metrics else None
        return _serve(instance, forwarder.start, forwarder.close, lambda: server_status(forwarder, settings),
                      extra=lambda req: _server_extra(req, settings), metrics_listen=listen,
                      collect=lambda: server_metrics(forwarder))

    return _run(instance, setup, body)


def _server_extra(request: dict[str, Any], settings: ServerSettings) -> dict[str, Any] | None:
    if request.get("cmd") == "reload":
        raise ValueError("adding peers to a running server is not supported yet (the core has no "
                         f"add_peer); restart the server to use the {len(settings.peers)}+ peers in its "
                         "config")
    return None


def server_status(forwarder: ServerForwarder, settings: ServerSettings) -> dict[str, Any]:
    endpoint = forwarder.endpoint
    live = {s.peer: s for s in endpoint.status()}
    peers = []
    for peer in endpoint.config.peers:
        key = bytes(peer.public_key)
        s = live.get(key)
        peers.append({
            "name": peer.name,
            "public_key": keys.encode(key),
            "endpoint": _endpoint_text(s.endpoint) if s else None,
            "transport": s.endpoint.transport if s and s.endpoint else None,
            "addresses": [str(a) for a in (s.ipv4, s.ipv6) if a is not None] if s else [],
            "last_handshake": wall_time(s.last_handshake) if s else None,
            "handshakes": forwarder.handshakes.get(key, 0),
            "rx_bytes": s.rx_bytes if s else 0, "tx_bytes": s.tx_bytes if s else 0,
            "rx_packets": s.rx_packets if s else 0, "tx_packets": s.tx_packets if s else 0,
        })
    pool = endpoint.pool
    return {
        "role": "server", "interface": settings.interface, "pid": os.getpid(),
        "public_key": keys.encode(endpoint.public_key), "listen": str(settings.listen),
        "state": "running", "sessions": len(live),
        "addresses": [str(a) for a in (pool.server_ipv4, pool.server_ipv6) if a is not None],
        "mtu": endpoint.config.mtu, "peers": peers, "drops": _drops(endpoint.trace),
        "counters": dict(forwarder.counters),
    }


def server_metrics(forwarder: ServerForwarder) -> list[metrics.Family]:
    endpoint = forwarder.endpoint
    sessions = endpoint.status()
    names = {bytes(p.public_key): p.name or keys.encode(bytes(p.public_key))[:8]
             for p in endpoint.config.peers}
    fams = [
        metrics.Family("oxidize_sessions", "Sessions with a completed handshake.", "gauge")
        .add(len(sessions)),
        metrics.Family("oxidize_peers", "Authorized peers in the configuration.", "gauge")
        .add(len(endpoint.config.peers)),
    ]
    for attr, what in (("rx_bytes", "Inner bytes received from the peer."),
                       ("tx_bytes", "Inner bytes sent to the peer."),
                       ("rx_packets", "Inner packets received from the peer."),
                       ("tx_packets", "Inner packets sent to the peer.")):
        fam = metrics.Family(f"oxidize_peer_{attr}_total", what, "counter")
        for s in sessions:
            fam.add(getattr(s, attr), peer=names.get(s.peer, s.peer.hex()[:8]))
        fams.append(fam)
    handshakes = metrics.Family("oxidize_handshakes_total", "Completed handshakes.", "counter")
    handshakes.add(forwarder.counters["handshakes_initial"], kind="initial")
    handshakes.add(forwarder.counters["handshakes_rekey"], kind="rekey")
    fams.append(handshakes)
    drops = metrics.Family("oxidize_drops_total", "Datagrams and packets dropped, by reason (core trace).",
                           "counter")
    for reason, count in sorted(_drops(endpoint.trace).items()):
        drops.add(count, reason=reason)
    fams.append(drops)
    ended = metrics.Family("oxidize_sessions_ended_total", "Sessions that ended, by reason.", "counter")
    for key, count in sorted(forwarder.counters.items()):
        if key.startswith("terminated_"):
            ended.add(count, reason=key.removeprefix("terminated_"))
    fams.append(ended)
    if forwarder.pump is not None:
        stats = forwarder.pump.stats
        datagrams = metrics.Family("oxidize_datagrams_total", "Tunnel datagrams through the binds.",
                                   "counter")
        datagrams.add(stats["bind_rx_datagrams"], direction="rx")
        datagrams.add(stats["bind_tx_datagrams"], direction="tx")
        packets = metrics.Family("oxidize_device_packets_total", "Packets through the TUN device.", "counter")
        packets.add(stats["device_rx_packets"], direction="rx")
        packets.add(stats["device_tx_packets"], direction="tx")
        fams += [datagrams, packets]
    if forwarder.device is not None:
        fams.append(metrics.Family("oxidize_device_write_drops_total", "Packets the TUN refused.", "counter")
                    .add(forwarder.device.write_drops))
    return fams


# -- client -----------------------------------------------------------------------------------------------
def resolve_endpoint(host: str, port: int) -> PeerAddress:
    """The server's address (a name is looked up once, at start; DNS stays outside the tunnel)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
    except socket.gaierror as exc:
        raise StartError(f"cannot resolve the server {host!r}: {exc.strerror}") from None
    infos.sort(key=lambda info: info[0] != socket.AF_INET)  # IPv4 first: works behind most NATs
    address = str(infos[0][4][0])
    return PeerAddress(address, port, "udp")


def client_config(settings: ClientSettings, endpoint: PeerAddress) -> ClientConfig:
    if settings.private_key is not None:
        private = settings.private_key
    else:
        assert settings.private_key_file is not None
        private = keys.read_private(settings.private_key_file)
    preferred = CIPHERS[settings.cipher]
    return ClientConfig(
        private_key=private,
        server_public_key=settings.server_public_key,
        endpoint=endpoint,
        wall_clock=time.time,
        ciphers=(preferred, *[c for c in CIPHERS.values() if c != preferred]),
        compression=settings.compression,
        request_plaintext=settings.plaintext,
        persistent_keepalive=float(settings.keepalive) if settings.keepalive is not None else None,
    )


def run_client(settings: ClientSettings) -> int:
    instance = Instance(settings.state_dir, settings.interface)
    undo, net_undo = instance.undo_stack(1, "base"), instance.undo_stack(2, "net")
    holder: dict[str, ClientTunnel] = {}

    def setup() -> None:
        endpoint = resolve_endpoint(settings.server.host, settings.server.port)
        config = client_config(settings, endpoint)
        options = ClientOptions(
            interface=settings.interface, mode=settings.mode, routes=tuple(str(r) for r in settings.routes),
            exclusions=settings.exclude, exclude_routes=tuple(str(r) for r in settings.exclude_routes),
            mtu=settings.mtu, dns=settings.dns, resolv_conf=settings.resolv_conf,
            dns_backup=instance.dir / "resolv.conf.backup", fwmark=settings.fwmark, table=settings.table,
            rule_priority=settings.rule_priority, reconnect_min=settings.reconnect_min,
            reconnect_max=settings.reconnect_max, relay_hosts=(endpoint.host,),
            udp_offload=settings.udp_offload,
        )
        tunnel = ClientTunnel(lambda: ClientSession(config, rng=os.urandom), options, undo, net_undo)
        try:
            tunnel.setup()
        except BaseException:
            errors = tunnel.close()
            if errors:
                log.error("undoing the failed start: %s", "; ".join(errors))
            raise
        holder["t"] = tunnel
        configs["c"] = config

    configs: dict[str, ClientConfig] = {}

    def body() -> Any:
        tunnel = holder["t"]
        return _serve(instance, tunnel.start, tunnel.close,
                      lambda: client_status(tunnel, settings, configs["c"]))

    return _run(instance, setup, body)


def client_status(tunnel: ClientTunnel, settings: ClientSettings, config: ClientConfig) -> dict[str, Any]:
    session = tunnel.session
    current = tunnel.pump is not None and tunnel.pump.core is session
    live = session if session is not None and current else None
    params = live.parameters if live is not None else None
    endpoint = tunnel.endpoint
    peer = {
        "name": "server",
        "public_key": keys.encode(settings.server_public_key),
        "endpoint": _endpoint_text(endpoint),
        "transport": endpoint.transport if endpoint is not None else None,
        "addresses": [str(a) for a in (params.ipv4, params.ipv6) if a is not None] if params else [],
        "last_handshake": wall_time(live.last_handshake) if live is not None else None,
        "handshakes": tunnel.handshakes,
        "rx_bytes": live.rx_bytes if live else 0, "tx_bytes": live.tx_bytes if live else 0,
        "rx_packets": live.rx_packets if live else 0, "tx_packets": live.tx_packets if live else 0,
    }
    applied = tunnel.applied
    return {
        "role": "client", "interface": settings.interface, "pid": os.getpid(),
        "public_key": keys.encode(keys.public_from_private(config.private_key)),
        "server": str(settings.server), "state": tunnel.state,
        "addresses": list(applied.addresses) if applied else [],
        "mtu": applied.mtu if applied else None,
        "routing": applied.plan.describe() if applied else [],
        "dns": list(applied.dns_servers) if applied else [],
        "peers": [peer], "drops": _drops(live.trace) if live is not None else {},
        "reconnect_attempt": tunnel.attempt, "counters": dict(tunnel.counters),
    }
