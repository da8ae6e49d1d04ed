"""`oxidize up`: client.toml → ClientConfig + ClientOptions → a running ClientTunnel, with status."""

from __future__ import annotations

import os
import socket
import time
from typing import Any

from oxidize import keys, transports
from oxidize.config import ClientSettings, cipher_order
from oxidize.daemon import Instance, StartError, drop_counts, endpoint_text, log, peer_row, run, serve
from oxtunnel.client import ClientSession
from oxtunnel.config import ClientConfig, DataPathConfig
from oxtunnel.types import PeerAddress
from runtimes.client import ClientOptions, ClientTunnel


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
    return ClientConfig(
        private_key=private,
        server_public_key=settings.server_public_key,
        endpoint=endpoint,
        wall_clock=time.time,
        ciphers=cipher_order(settings.cipher),
        compression=settings.compression,
        request_plaintext=settings.plaintext,
        persistent_keepalive=float(settings.keepalive) if settings.keepalive is not None else None,
        data=DataPathConfig(confidential_transports=transports.client_confidential(settings)),
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
            udp_offload=settings.udp_offload, tun_offload=settings.tun_offload,
        )
        tunnel = ClientTunnel(lambda: ClientSession(config, rng=os.urandom), options, undo, net_undo)
        tunnel.transports = transports.client_manager(settings, endpoint.host)
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
        return serve(instance, tunnel.start, tunnel.close,
                     lambda: client_status(tunnel, settings, configs["c"]),
                     bind_fatal=lambda fail: setattr(tunnel, "on_fatal", fail))

    return run(instance, setup, body)


def client_status(tunnel: ClientTunnel, settings: ClientSettings, config: ClientConfig) -> dict[str, Any]:
    session = tunnel.session
    current = tunnel.pump is not None and tunnel.pump.core is session
    live = session if session is not None and current else None
    row = peer_row(settings.server_public_key, "server", live.status() if live is not None else None,
                   handshakes=tunnel.handshakes)
    if live is None and tunnel.endpoint is not None:  # between two sessions: where we will dial
        row["endpoint"], row["transport"] = endpoint_text(tunnel.endpoint), tunnel.endpoint.transport
    applied = tunnel.applied
    return {
        "role": "client", "interface": settings.interface, "pid": os.getpid(),
        "public_key": keys.encode(keys.public_from_private(config.private_key)),
        "server": str(settings.server), "state": tunnel.state,
        "addresses": list(applied.addresses) if applied else [],
        "mtu": applied.mtu if applied else None,
        "routing": applied.plan.describe() if applied else [],
        "dns": list(applied.dns_servers) if applied else [],
        "peers": [row], "drops": drop_counts(live.trace) if live is not None else {},
        "reconnect_attempt": tunnel.attempt, "counters": dict(tunnel.counters),
        **(tunnel.transports.status() if tunnel.transports is not None else {"transport": "udp"}),
    }
