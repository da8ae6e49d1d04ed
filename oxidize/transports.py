"""The fallback transports in the config files: `[tcp]`, `[quic]`, `[masque]` (server.toml) and
`[fallback]` + `client.transport` (client.toml), mapped onto the runtime dataclasses.

`oxidize.config` validates each key by its table; this module turns the validated values into
`runtimes.tcp.TcpConfig`, `runtimes.quic.config.QuicConfig`, `runtimes.masque.config.MasqueConfig` and
`runtimes.fallback.FallbackConfig` and checks what spans several keys (the MASQUE pools must not overlap
the OxTunnel pools; a certificate needs its key). Problems are appended to `errors`, naming the key.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from oxidize import metrics
from runtimes.client_transports import ClientTransports, TransportManager, network_id
from runtimes.fallback import FallbackConfig
from runtimes.masque.config import MasqueConfig
from runtimes.quic.certs import ServerCertificate, ensure_server_certificate, load_certificate, normalise_pin
from runtimes.quic.config import QuicConfig, tunnel_mtu_for
from runtimes.server_transports import ServerTransportOptions
from runtimes.server_transports import ServerTransports as OpenedTransports
from runtimes.tcp import TcpConfig
from runtimes.wire import PORT_QUIC, PORT_TCP

log = logging.getLogger("oxidize")
CERT_NAMES = ["oxtunnel"]
PINNED = ("quic", "masque")  # transports that verify the server by client.quic_spki_sha256
FALLBACK_SUFFIX = ".fallback.json"


@dataclass(frozen=True)
class MasqueServing:
    """The MASQUE proxy and, when `forward`, the TUN its CONNECT-IP clients' packets leave through."""

    config: MasqueConfig
    forward: bool
    interface: str


@dataclass(frozen=True)
class ServerTransports:
    """What the server listens on beside UDP; None = switched off."""

    tcp: TcpConfig | None = None
    quic: QuicConfig | None = None
    masque: MasqueServing | None = None
    cert_dir: Path | None = None
    """Where the self-signed QUIC certificate lives (None: an operator certificate is configured)."""


@dataclass(frozen=True)
class FallbackSettings:
    """client.toml's transport choice: `order` to try (one entry when `client.transport` forces one)."""

    config: FallbackConfig = field(default_factory=FallbackConfig)
    remember: bool = True
    state_file: Path | None = None
    skipped: tuple[str, ...] = ()
    """Transports of `fallback.order` left out because client.quic_spki_sha256 is not set."""


def _build(make: Any, section: str, errors: list[str], **kwargs: Any) -> Any:
    """Construct a runtime config; its own checks name `section.key` already."""
    try:
        return make(**kwargs)
    except ValueError as exc:
        text = str(exc)
        errors.append(text if text.startswith(f"{section}.") else f"{section}: {text}")
        return None


def _path(base: Path, value: Path | None) -> Path | None:
    if value is None:
        return None
    return value if value.is_absolute() else base / value


def server_transports(sections: dict[str, dict[str, Any]], server: dict[str, Any], base: Path,
                      errors: list[str]) -> ServerTransports:
    """`[tcp]`, `[quic]`, `[masque]` → runtime configs (validated key by key before this)."""
    tcp_s, quic_s, masque_s = sections["tcp"], sections["quic"], sections["masque"]
    if not tcp_s or not quic_s or not masque_s:
        return ServerTransports()  # a key error is already reported
    tcp = None
    if tcp_s["enabled"]:
        tcp = _build(TcpConfig, "tcp", errors, host=tcp_s["listen"].host, port=tcp_s["listen"].port,
                     max_connections=tcp_s["max_connections"],
                     max_connections_per_ip=tcp_s["max_connections_per_ip"],
                     first_frame_timeout=tcp_s["first_frame_timeout"], idle_timeout=tcp_s["idle_timeout"],
                     send_queue_limit=tcp_s["send_queue_kbytes"] * 1024)
    quic = None
    cert_dir = None
    if quic_s["enabled"]:
        certificate = _path(base, quic_s["certificate"])
        private_key = _path(base, quic_s["private_key"])
        if (certificate is None) != (private_key is None):
            errors.append("quic.certificate / quic.private_key: give both or neither")
        if certificate is None:
            key_file = server.get("private_key_file")
            cert_dir = _path(base, quic_s["cert_dir"]) or (Path(key_file).parent if key_file else base)
        secrets = _path(base, quic_s["secrets_log"])
        quic = _build(QuicConfig, "quic", errors, host=quic_s["listen"].host, port=quic_s["listen"].port,
                      path_mtu=quic_s["path_mtu"], idle_timeout=quic_s["idle_timeout"],
                      max_connections=quic_s["max_connections"],
                      max_connections_per_ip=quic_s["max_connections_per_ip"],
                      congestion_control=quic_s["congestion_control"],
                      state_dir=str(cert_dir) if cert_dir else "",
                      certificate=str(certificate) if certificate else None,
                      private_key=str(private_key) if private_key else None,
                      secrets_log=str(secrets) if secrets else None)
    masque = None
    if masque_s["enabled"] and quic_s["enabled"]:
        own = [p for p in (server.get("ipv4_pool"), server.get("ipv6_pool")) if p is not None]
        for name in ("ipv4_pool", "ipv6_pool"):
            pool = masque_s[name]
            clash = [str(p) for p in own
                     if pool is not None and p.version == pool.version and p.overlaps(pool)]
            if clash:
                errors.append(f"masque.{name}: {pool} overlaps server.{name} {clash[0]}")
        config = _build(MasqueConfig, "masque", errors,
                        token_sha256=[t.lower() for t in masque_s["token_sha256"]],
                        ipv4_pool=str(masque_s["ipv4_pool"]),
                        ipv6_pool=str(masque_s["ipv6_pool"]) if masque_s["ipv6_pool"] else None,
                        allow_destinations=list(masque_s["allow_destinations"]),
                        udp_idle_timeout=masque_s["udp_idle_timeout"],
                        max_tunnels_per_connection=masque_s["max_tunnels_per_connection"],
                        oxtunnel_service_port=server["listen"].port if server.get("listen") else 51820)
        if config is not None:
            masque = MasqueServing(config, masque_s["forward"], masque_s["interface"])
            if masque.forward and masque.interface == server.get("interface"):
                errors.append(f"masque.interface: {masque.interface!r} is already server.interface")
    return ServerTransports(tcp, quic, masque, cert_dir)


def server_certificate(served: ServerTransports) -> ServerCertificate | None:
    """The QUIC certificate (created on first use; `oxidize genconfig` and the server share it)."""
    quic = served.quic
    if quic is None:
        return None
    if quic.certificate is not None and quic.private_key is not None:
        return load_certificate(Path(quic.certificate), Path(quic.private_key))
    assert served.cert_dir is not None
    return ensure_server_certificate(served.cert_dir, CERT_NAMES)


def fallback_settings(fallback: dict[str, Any], client: dict[str, Any], errors: list[str],
                      client_path: Path | None = None) -> FallbackSettings:
    """`[fallback]` + `client.transport` → the controller's config."""
    if errors:
        return FallbackSettings()  # a key error is already reported
    pin = client.get("quic_spki_sha256")
    if pin is not None:
        try:
            client["quic_spki_sha256"] = normalise_pin(pin)
        except ValueError as exc:
            errors.append(f"client.quic_spki_sha256: {exc}")
    forced = client["transport"]
    order = tuple(fallback["order"]) if forced == "auto" else (forced,)
    if not order:
        errors.append("fallback.order: must name at least one transport")
        return FallbackSettings()
    skipped: tuple[str, ...] = ()
    if pin is None and any(t in PINNED for t in order):
        if forced != "auto":
            errors.append(f"client.transport: {forced!r} needs client.quic_spki_sha256 (the server's "
                          "certificate pin, written by `oxidize genconfig`)")
            return FallbackSettings()
        skipped = tuple(t for t in order if t in PINNED)
        order = tuple(t for t in order if t not in PINNED)
        if not order:
            errors.append("fallback.order: only QUIC/MASQUE listed, but client.quic_spki_sha256 is not set")
            return FallbackSettings()
    attempts = {"udp": fallback["udp_attempts"], "quic": 1, "masque": 1, "tcp": 1}
    config = _build(FallbackConfig, "fallback", errors, order=order, attempts=attempts,
                    attempt_timeout=fallback["attempt_timeout"], dead_after=fallback["dead_after"],
                    probe_interval=fallback["probe_interval"], probe_window=fallback["probe_window"])
    state_file = fallback["state_file"]
    if state_file is not None and not state_file.is_absolute() and client_path is not None:
        state_file = client_path.parent / state_file
    return FallbackSettings(config or FallbackConfig(), fallback["remember"], state_file, skipped)


def masque_pools(served: ServerTransports) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """The networks of the MASQUE TUN (for its NAT table)."""
    if served.masque is None:
        return []
    config = served.masque.config
    return [ipaddress.ip_network(p) for p in (config.ipv4_pool, config.ipv6_pool) if p]


# -- the running server -------------------------------------------------------------------------------
CONFIDENTIAL = frozenset({"quic", "masque"})  # QUIC to a pinned certificate: no second encryption


def granted_mtu(served: ServerTransports, mtu: int) -> int:
    """The tunnel MTU clients get: with QUIC on, small enough that every packet fits every transport."""
    if served.quic is None:
        return mtu
    return min(mtu, tunnel_mtu_for(served.quic.path_mtu))


def transport_options(served: ServerTransports, *, nftables_table: str, nat: bool,
                      allow_destinations: frozenset[str]) -> ServerTransportOptions:
    masque = served.masque
    return ServerTransportOptions(
        tcp=served.tcp, quic=served.quic, certificate=server_certificate(served),
        masque=masque.config if masque else None,
        masque_interface=masque.interface if masque and masque.forward else None,
        nftables_table=nftables_table, nat=nat, allow_destinations=allow_destinations,
    )


def switch_counts(counters: Mapping[str, int]) -> dict[tuple[str, str], int]:
    """(from, to) → sessions that moved between transports, from the forwarder's counters."""
    out = {}
    for key, count in counters.items():
        if key.startswith("transport_") and "_to_" in key:
            old, new = key.removeprefix("transport_").split("_to_", 1)
            out[(old, new)] = count
    return out


def transport_status(opened: OpenedTransports | None) -> dict[str, Any]:
    if opened is None:
        return {}
    out: dict[str, Any] = {"listening": opened.describe()}
    if opened.tcp is not None:
        out["tcp_connections"] = opened.tcp.connection_count
    if opened.quic is not None:
        out["quic_connections"] = len(opened.quic.endpoint.connections)
    if opened.proxy is not None:
        out["masque_tunnels"] = sum(len(h.tunnels) for h in opened.proxy.handlers)
        out["masque_refused"] = dict(opened.proxy.refused)
    return out


def transport_metrics(opened: OpenedTransports | None, counters: Mapping[str, int],
                      sessions: Sequence[Any]) -> list[metrics.Family]:
    fams = []
    switched = metrics.Family("oxidize_transport_switches_total",
                              "Sessions that moved from one transport to another.", "counter")
    for (old, new), count in sorted(switch_counts(counters).items()):
        switched.add(count, **{"from": old, "to": new})
    fams.append(switched)
    by_transport = metrics.Family("oxidize_sessions_by_transport", "Sessions by current transport.", "gauge")
    for transport in ("udp", "quic", "masque", "tcp"):
        by_transport.add(sum(1 for s in sessions if s.transport == transport), transport=transport)
    fams.append(by_transport)
    status = transport_status(opened)
    for key, what in (("tcp_connections", "Open TCP transport connections."),
                      ("quic_connections", "Open QUIC connections (OxTunnel and MASQUE)."),
                      ("masque_tunnels", "Open MASQUE CONNECT-UDP/CONNECT-IP tunnels.")):
        if key in status:
            fams.append(metrics.Family(f"oxidize_{key}", what, "gauge").add(status[key]))
    return fams


# -- the running client -------------------------------------------------------------------------------
def client_manager(settings: Any, server_host: str) -> TransportManager | None:
    """The fallback manager for client.toml (None: UDP only, nothing to choose)."""
    chosen: FallbackSettings = settings.fallback
    for skipped in chosen.skipped:
        log.warning("fallback: %s is not tried: client.quic_spki_sha256 is not set", skipped)
    if chosen.config.order == ("udp",):
        return None
    state_file = chosen.state_file or settings.path.with_suffix(FALLBACK_SUFFIX) if chosen.remember else None
    config = replace(chosen.config, state_file=str(state_file) if state_file else None)
    options = ClientTransports(
        server_host=server_host, udp_port=settings.server.port, quic_port=settings.quic_port,
        tcp_port=settings.tcp_port, pin=settings.quic_spki_sha256, fallback=config,
        fwmark=settings.fwmark, network=network_id(server_host), masque_service=settings.masque_service,
    )
    return TransportManager(options)


def client_confidential(settings: Any) -> frozenset[str]:
    """QUIC/MASQUE carry authenticated-plaintext envelopes only to a pinned server."""
    return CONFIDENTIAL if settings.quic_spki_sha256 else frozenset()


def client_transport_lines(served: ServerTransports) -> str:
    """What `oxidize genconfig` adds to a client's [client] table: the QUIC certificate pin (the
    certificate is created now if the server has not started yet) and the MASQUE service address."""
    cert = server_certificate(served)
    if cert is None:
        return ""
    lines = f"quic_spki_sha256 = \"{cert.spki_sha256}\"\n"
    if served.quic is not None and served.quic.port != PORT_QUIC:
        lines += f"quic_port = {served.quic.port}\n"
    if served.tcp is not None and served.tcp.port != PORT_TCP:
        lines += f"tcp_port = {served.tcp.port}\n"
    if served.masque is not None:
        pool = ipaddress.ip_network(served.masque.config.ipv4_pool)
        lines += f"masque_service = \"{next(iter(pool.hosts()))}\"\n"
    return lines
