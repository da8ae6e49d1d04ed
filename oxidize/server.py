"""`oxidize server`: server.toml → ServerConfig + ServerOptions → a running ServerForwarder, with status
and Prometheus metrics."""

from __future__ import annotations

import os
import time
from typing import Any

from oxidize import keys, metrics, reload, transports
from oxidize.config import ConfigError, ServerSettings, cipher_order
from oxidize.daemon import Instance, drop_counts, log, peer_row, run, serve
from oxidize.reload import ReloadResult, peer_config
from oxtunnel.config import DataPathConfig, ServerConfig
from oxtunnel.server import ServerEndpoint
from runtimes.server import ServerForwarder, ServerOptions
from runtimes.server_transports import ServerTransports, open_transports


def server_config(settings: ServerSettings) -> ServerConfig:
    return ServerConfig(
        private_key=keys.read_private(settings.private_key_file),
        peers=tuple(peer_config(p) for p in settings.peers),
        wall_clock=time.time,
        ipv4_pool=str(settings.ipv4_pool) if settings.ipv4_pool else None,
        ipv6_pool=str(settings.ipv6_pool) if settings.ipv6_pool else None,
        mtu=transports.granted_mtu(settings.transports, settings.mtu),
        keepalive_interval=settings.keepalive,
        dns_servers=settings.dns,
        routes=tuple(str(r) for r in settings.routes),
        allow_plaintext=settings.allow_plaintext,
        allowed_destinations=frozenset(settings.allow_destinations),
        allow_client_to_client=settings.client_to_client,
        ciphers=cipher_order(settings.cipher),
        data=DataPathConfig(confidential_transports=transports.CONFIDENTIAL
                            if settings.transports.quic is not None else frozenset()),
    )


def run_server(settings: ServerSettings) -> int:
    instance = Instance(settings.state_dir, settings.interface)
    undo = instance.undo_stack(1, "base")
    holder: dict[str, Any] = {}

    def setup() -> None:
        endpoint = ServerEndpoint(server_config(settings), rng=os.urandom)
        options = ServerOptions(
            interface=settings.interface, listen_host=settings.listen.host, listen_port=settings.listen.port,
            nat=settings.nat, nftables_table=settings.nftables_table,
            client_to_client=settings.client_to_client,
            allow_destinations=frozenset(settings.allow_destinations),
            udp_gso=settings.udp_offload, udp_gro=settings.udp_offload, tun_offload=settings.tun_offload,
        )
        forwarder = ServerForwarder(endpoint, options, undo)
        try:
            forwarder.setup()
            opened = open_transports(transports.transport_options(
                settings.transports, nftables_table=settings.nftables_table, nat=settings.nat,
                allow_destinations=frozenset(settings.allow_destinations)), undo)
            for bind in opened.binds:
                forwarder.add_bind(bind)
            holder["transports"] = opened
            if opened.binds:
                log.info("also listening on %s; tunnel MTU %d", ", ".join(opened.describe()),
                         endpoint.config.mtu)
        except BaseException:
            errors = undo.unwind()
            if errors:
                log.error("undoing the failed start: %s", "; ".join(errors))
            raise
        holder["f"] = forwarder

    def body() -> Any:
        forwarder = holder["f"]
        listen = (settings.metrics.host, settings.metrics.port) if settings.metrics else None
        opened = holder.get("transports")
        return serve(instance, forwarder.start, forwarder.close,
                     lambda: server_status(forwarder, settings, opened),
                     extra=lambda req: _server_extra(req, forwarder, settings), metrics_listen=listen,
                     collect=lambda: server_metrics(forwarder, opened),
                     on_hangup=lambda: _reload_on_signal(forwarder, settings))

    return run(instance, setup, body)


def reload_peers(forwarder: ServerForwarder, settings: ServerSettings) -> ReloadResult:
    """Apply server.toml's peers to the running endpoint and send what that queued (DISCONNECTs)."""
    now = forwarder.pump.clock() if forwarder.pump is not None else time.monotonic()
    result = reload.reload(forwarder.endpoint, settings, now)
    if forwarder.pump is not None:
        forwarder.pump.kick()
    log.info("%s", result.summary())
    return result


def _reload_on_signal(forwarder: ServerForwarder, settings: ServerSettings) -> None:
    try:
        reload_peers(forwarder, settings)
    except ConfigError as exc:
        log.error("reload (SIGHUP) refused, nothing changed:\n%s", exc)


def _server_extra(request: dict[str, Any], forwarder: ServerForwarder,
                  settings: ServerSettings) -> dict[str, Any] | None:
    if request.get("cmd") == "reload":
        try:
            return reload_peers(forwarder, settings).as_dict()
        except ConfigError as exc:
            raise ValueError(f"reload refused, nothing changed: {exc}") from None
    return None


def server_status(forwarder: ServerForwarder, settings: ServerSettings,
                  opened: ServerTransports | None = None) -> dict[str, Any]:
    endpoint = forwarder.endpoint
    live = {s.peer: s for s in endpoint.status()}
    peers = [peer_row(bytes(p.public_key), p.name, live.get(bytes(p.public_key)))
             for p in endpoint.config.peers]
    pool = endpoint.pool
    return {
        "role": "server", "interface": settings.interface, "pid": os.getpid(),
        "public_key": keys.encode(endpoint.public_key), "listen": str(settings.listen),
        "state": "running", "sessions": len(live),
        "addresses": [str(a) for a in (pool.server_ipv4, pool.server_ipv6) if a is not None],
        "mtu": endpoint.config.mtu, "peers": peers, "drops": drop_counts(endpoint.trace),
        "counters": dict(forwarder.counters), **transports.transport_status(opened),
    }


def server_metrics(forwarder: ServerForwarder,
                   opened: ServerTransports | None = None) -> list[metrics.Family]:
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
    dropped = metrics.Family("oxidize_drops_total", "Datagrams and packets dropped, by reason (core trace).",
                           "counter")
    for reason, count in sorted(drop_counts(endpoint.trace).items()):
        dropped.add(count, reason=reason)
    fams.append(dropped)
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
        device = forwarder.device
        fams.append(metrics.Family("oxidize_device_write_drops_total", "Packets the TUN refused.", "counter")
                    .add(device.write_drops))
        fams.append(metrics.Family("oxidize_device_writes_total",
                                   "Writes to the TUN (fewer than packets when TCP runs are joined).",
                                   "counter").add(device.writes))
    return fams + transports.transport_metrics(opened, forwarder.counters, sessions)
