"""server.toml and client.toml: one table of keys (type, default, meaning) per file, one validator.

The tables below are the single source for validation, defaults and the README's configuration
section (`markdown_table()`; a test keeps the README in step). Errors name the key and the problem,
all of them at once, e.g. `server.toml: server.mtu: must be between 1280 and 9000, got 90000`.
"""

from __future__ import annotations

import difflib
import ipaddress
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oxidize import transports
from oxidize import validators as v
from oxtunnel.config import Cipher
from oxtunnel.policy import DESTINATION_RULES
from runtimes.linux.routing import EXCLUSION_NAMES

REQUIRED = object()
DEFAULT_PORT = 51820
DESTINATION_ALLOWS = tuple(name for name, _ in DESTINATION_RULES)


class ConfigError(ValueError):
    """A config file is unreadable or invalid; `str()` lists every problem, one per line."""


@dataclass(frozen=True)
class Key:
    """One config key: dotted name, checker, default (REQUIRED = must be given) and its meaning."""

    name: str
    check: v.Check
    default: Any
    doc: str

    @property
    def section(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def field(self) -> str:
        return self.name.split(".", 1)[1]


SERVER_KEYS: tuple[Key, ...] = (
    Key("server.private_key_file", v.FilePath(), REQUIRED,
        "the server's private key (`oxidize keygen`), mode 0600; relative to this file"),
    Key("server.listen", v.Endpoint(DEFAULT_PORT, need_ip=True), "[::]:51820",
        "UDP address to listen on; `[::]` takes IPv4 and IPv6"),
    Key("server.endpoint", v.Optional(v.Endpoint(DEFAULT_PORT), ""), "",
        "public `host:port` clients reach; written into configs by `oxidize genconfig`"),
    Key("server.interface", v.INTERFACE_NAME, "oxs0", "name of the server's TUN device"),
    Key("server.mtu", v.Integer(1280, 9000), 1420, "tunnel MTU offered to clients and set on the TUN"),
    Key("server.ipv4_pool", v.Optional(v.Network(4, min_hosts_bits=2), ""), "10.77.0.0/24",
        "client IPv4 addresses; the first host is the server's; `\"\"` = no IPv4"),
    Key("server.ipv6_pool", v.Optional(v.Network(6, min_hosts_bits=2), ""), "fd77:6f78::/64",
        "client IPv6 (ULA) addresses; the first host is the server's; `\"\"` = no IPv6"),
    Key("server.dns", v.Addresses(), [], "DNS servers pushed to clients"),
    Key("server.routes", v.Networks(), ["0.0.0.0/0", "::/0"],
        "routes pushed to clients; a default route means full tunnel"),
    Key("server.keepalive", v.Integer(0, 3600), 25, "keepalive interval (s) pushed to clients; 0 = off"),
    Key("server.allow_destinations", v.Subset(DESTINATION_ALLOWS), [],
        "destination classes clients may reach although refused by default"),
    Key("server.allow_plaintext", v.Boolean(), False,
        "let clients that ask switch encryption off (authenticated plaintext, trusted networks only)"),
    Key("server.nat", v.Boolean(), True, "masquerade pool traffic leaving the server (nftables)"),
    Key("server.nftables_table", v.NFT_TABLE, "oxidize", "name of our own `inet` nftables table"),
    Key("server.client_to_client", v.Boolean(), False, "forward traffic between clients"),
    Key("server.metrics", v.Optional(v.Endpoint(9851, need_ip=True), ""), "127.0.0.1:9851",
        "Prometheus `/metrics` listener; `\"\"` = off"),
    Key("server.udp_offload", v.Boolean(), True,
        "UDP GSO/GRO batching (one syscall per up to 64 datagrams); off: one datagram per syscall"),
    Key("server.cipher", v.Choice("chacha20-poly1305", "aes-256-gcm"), "chacha20-poly1305",
        "preferred data cipher: AES-256-GCM is used with clients that prefer it too, else ChaCha20-Poly1305"),
    Key("server.tun_offload", v.Boolean(), True,
        "TUN offloads (virtio-net header): TSO reads, segmented here; runs of TCP segments written as "
        "one GSO super-packet"),
    Key("server.state_dir", v.FilePath(), "/run/oxidize", "control socket, pid and undo state"),
)
PEER_KEYS: tuple[Key, ...] = (
    Key("peers.name", v.PEER_NAME, REQUIRED, "a label for the client (status, metrics)"),
    Key("peers.public_key", v.PublicKey(), REQUIRED, "the client's public key"),
)
HEX_SHA256 = v.String(r"[0-9a-fA-F]{64}", "64 hex digits (a SHA-256)", allow_empty=False)
PIN = v.String(r"((?i:sha256):)?[0-9a-fA-F:]{64,95}",
               "64 hex digits, optionally `sha256:`-prefixed or colon-separated")
SERVER_TCP_KEYS: tuple[Key, ...] = (
    Key("tcp.enabled", v.Boolean(), True, "accept clients over TCP (last resort where all UDP is blocked)"),
    Key("tcp.listen", v.Endpoint(51821, need_ip=True), "[::]:51821", "TCP address to listen on"),
    Key("tcp.max_connections", v.Integer(1, 65536), 1024, "open TCP connections in total"),
    Key("tcp.max_connections_per_ip", v.Integer(1, 4096), 8, "open TCP connections from one source IP"),
    Key("tcp.first_frame_timeout", v.Number(1, 120), 10.0,
        "seconds a new connection has to send its first complete frame (slowloris guard)"),
    Key("tcp.idle_timeout", v.Number(10, 86400), 180.0,
        "seconds without a frame before a connection is closed"),
    Key("tcp.send_queue_kbytes", v.Integer(16, 65536), 512,
        "output queued per connection (KiB) beyond the kernel's; frames past it are dropped whole"),
)
SERVER_QUIC_KEYS: tuple[Key, ...] = (
    Key("quic.enabled", v.Boolean(), True,
        "serve QUIC on UDP (OxTunnel in DATAGRAM frames, ALPN `oxtunnel/3`; MASQUE `h3` on the same port)"),
    Key("quic.listen", v.Endpoint(51822, need_ip=True), "[::]:51822", "UDP address of the QUIC listener"),
    Key("quic.cert_dir", v.Optional(v.FilePath(), ""), "",
        "where the self-signed certificate is created and kept; `\"\"` = beside `server.private_key_file`"),
    Key("quic.certificate", v.Optional(v.FilePath(), ""), "",
        "a PEM certificate to use instead of the self-signed one (with `quic.private_key`)"),
    Key("quic.private_key", v.Optional(v.FilePath(), ""), "", "the PEM private key of `quic.certificate`"),
    Key("quic.path_mtu", v.Integer(1280, 65535), 1500, "path MTU assumed for the QUIC packets"),
    Key("quic.idle_timeout", v.Number(5, 3600), 60.0, "QUIC idle timeout (s)"),
    Key("quic.max_connections", v.Integer(1, 65536), 1024, "concurrent QUIC connections"),
    Key("quic.max_connections_per_ip", v.Integer(1, 4096), 16, "concurrent QUIC connections from one IP"),
    Key("quic.congestion_control", v.Choice("cubic", "reno"), "cubic", "QUIC congestion controller"),
    Key("quic.secrets_log", v.Optional(v.FilePath(), ""), "",
        "write TLS secrets here (NSS key log, for Wireshark in a lab); never in production"),
)
SERVER_MASQUE_KEYS: tuple[Key, ...] = (
    Key("masque.enabled", v.Boolean(), True,
        "MASQUE proxy (CONNECT-UDP, CONNECT-IP over HTTP/3) on the QUIC port; needs `quic.enabled`"),
    Key("masque.token_sha256", v.Strings(HEX_SHA256, "list of SHA-256 hex digests"), [],
        "SHA-256 of the bearer tokens general MASQUE clients must present; `[]` = only OxTunnel clients"),
    Key("masque.ipv4_pool", v.Network(4, min_hosts_bits=2), "10.89.0.0/24",
        "IPv4 addresses for CONNECT-IP clients; the first host is the proxy's own"),
    Key("masque.ipv6_pool", v.Optional(v.Network(6, min_hosts_bits=2), ""), "fd89:6f78:7100::/64",
        "IPv6 addresses for CONNECT-IP clients; `\"\"` = none"),
    Key("masque.allow_destinations", v.Subset(DESTINATION_ALLOWS), [],
        "destination classes MASQUE clients may reach although refused by default"),
    Key("masque.forward", v.Boolean(), True,
        "forward CONNECT-IP clients' packets through a TUN of their own with NAT (else CONNECT-UDP only)"),
    Key("masque.interface", v.INTERFACE_NAME, "oxm0", "name of the TUN device for CONNECT-IP forwarding"),
    Key("masque.max_tunnels_per_connection", v.Integer(1, 1024), 16, "CONNECT-UDP/IP tunnels per connection"),
    Key("masque.udp_idle_timeout", v.Number(120, 86400), 300.0,
        "seconds a silent CONNECT-UDP tunnel stays open (RFC 9298: at least 2 minutes)"),
)
CLIENT_FALLBACK_KEYS: tuple[Key, ...] = (
    Key("fallback.order", v.Subset(("udp", "quic", "masque", "tcp")), ["udp", "quic", "tcp"],
        "transports tried in this order when `client.transport = \"auto\"`"),
    Key("fallback.udp_attempts", v.Integer(1, 20), 3, "handshake attempts over UDP before moving on"),
    Key("fallback.attempt_timeout", v.Number(1, 60), 5.0, "seconds per handshake attempt"),
    Key("fallback.dead_after", v.Number(3, 600), 12.0,
        "seconds of sending with nothing received (a probe unanswered) before a transport counts as dead"),
    Key("fallback.probe_interval", v.Number(2, 86400), 30.0,
        "seconds between probes of the first transport while on a fallback (doubles after failures)"),
    Key("fallback.probe_window", v.Number(0.5, 60), 3.0, "seconds a probe waits for its answer"),
    Key("fallback.remember", v.Boolean(), True,
        "remember per network which transport worked and start there next time"),
    Key("fallback.state_file", v.Optional(v.FilePath(), ""), "",
        "where that is remembered; `\"\"` = `<this file's name>.fallback.json` beside this file"),
)
CLIENT_KEYS: tuple[Key, ...] = (
    Key("client.private_key_file", v.Optional(v.FilePath(), ""), "",
        "the client's private key file, mode 0600; relative to this file"),
    Key("client.private_key", v.Optional(v.PublicKey(), ""), "",
        "the private key inline (configs from `genconfig`); then keep this file 0600"),
    Key("client.server", v.Endpoint(DEFAULT_PORT), REQUIRED, "the server's `host:port`"),
    Key("client.server_public_key", v.PublicKey(), REQUIRED, "the server's public key (`oxidize pubkey`)"),
    Key("client.interface", v.INTERFACE_NAME, "oxtun0", "name of the client's TUN device"),
    Key("client.mode", v.Choice("auto", "full", "split"), "auto",
        "`full`: all traffic through the tunnel (policy routing); `split`: only `routes` and the server's "
        "non-default routes; `auto`: full if the server pushes a default route, else split"),
    Key("client.routes", v.Networks(), [], "more prefixes through the tunnel in split mode"),
    Key("client.exclude", v.Subset(EXCLUSION_NAMES), list(EXCLUSION_NAMES),
        "system traffic kept outside a full tunnel"),
    Key("client.exclude_routes", v.Networks(), [], "more prefixes kept outside a full tunnel (e.g. the LAN)"),
    Key("client.mtu", v.Optional(v.Integer(1280, 9000), 0), 0, "TUN MTU; 0 = what the server offers"),
    Key("client.dns", v.Boolean(), True, "apply the DNS servers the server sends"),
    Key("client.resolv_conf", v.FilePath(), "/etc/resolv.conf",
        "the file DNS servers are written to (restored on exit)"),
    Key("client.keepalive", v.Optional(v.Integer(1, 3600), 0), 0, "keepalive interval (s); 0 = the server's"),
    Key("client.cipher", v.Choice("chacha20-poly1305", "aes-256-gcm"), "chacha20-poly1305",
        "preferred AEAD (both ends must support it)"),
    Key("client.plaintext", v.Boolean(), False,
        "ask for authenticated plaintext (no encryption) if the server allows it"),
    Key("client.compression", v.Boolean(), False,
        "LZ4 compression; leaks plaintext length when encrypted (VORACLE), off unless you accept that"),
    Key("client.fwmark", v.Integer(1, 0xFFFFFFFF), 0x4F58,
        "mark on the tunnel's own socket (policy routing)"),
    Key("client.table", v.Integer(1, 0xFFFFFFF0), DEFAULT_PORT, "routing table for the full tunnel"),
    Key("client.rule_priority", v.Integer(1, 32000), 31000, "first `ip rule` priority used (101 in a row)"),
    Key("client.reconnect_min", v.Number(0.1, 60), 1.0, "first reconnect delay (s), doubled each attempt"),
    Key("client.reconnect_max", v.Number(1, 3600), 30.0, "longest reconnect delay (s)"),
    Key("client.udp_offload", v.Boolean(), True,
        "UDP GSO/GRO batching (one syscall per up to 64 datagrams); off: one datagram per syscall"),
    Key("client.tun_offload", v.Boolean(), True,
        "TUN offloads (virtio-net header): TSO reads, segmented here; runs of TCP segments written as "
        "one GSO super-packet"),
    Key("client.transport", v.Choice("auto", "udp", "quic", "masque", "tcp"), "auto",
        "`auto`: UDP, falling back as `[fallback]` says; otherwise only this transport"),
    Key("client.quic_spki_sha256", v.Optional(PIN, ""), "",
        "pin (SHA-256 of the public key) of the server's QUIC certificate; written by `genconfig`"),
    Key("client.quic_port", v.Integer(1, 65535), 51822, "the server's QUIC/MASQUE UDP port"),
    Key("client.tcp_port", v.Integer(1, 65535), 51821, "the server's TCP port"),
    Key("client.masque_service", v.Address(), "10.89.0.1",
        "the MASQUE proxy's service address (first host of the server's `masque.ipv4_pool`)"),
    Key("client.state_dir", v.FilePath(), "/run/oxidize", "control socket, pid and undo state"),
)


@dataclass(frozen=True)
class Peer:
    name: str
    public_key: bytes


CIPHERS = {"chacha20-poly1305": Cipher.CHACHA20_POLY1305, "aes-256-gcm": Cipher.AES_256_GCM}


def cipher_order(preferred: str) -> tuple[Cipher, ...]:
    """Every data cipher, the configured one first (`client.cipher`, `server.cipher`)."""
    first = CIPHERS[preferred]
    return (first, *[c for c in CIPHERS.values() if c != first])


@dataclass(frozen=True)
class ServerSettings:
    """A validated server.toml (`path` is the file it came from)."""

    path: Path
    private_key_file: Path
    listen: v.HostPort
    endpoint: v.HostPort | None
    interface: str
    mtu: int
    ipv4_pool: ipaddress.IPv4Network | None
    ipv6_pool: ipaddress.IPv6Network | None
    dns: tuple[str, ...]
    routes: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    keepalive: int
    allow_destinations: tuple[str, ...]
    allow_plaintext: bool
    nat: bool
    nftables_table: str
    client_to_client: bool
    metrics: v.HostPort | None
    udp_offload: bool
    cipher: str
    tun_offload: bool
    state_dir: Path
    peers: tuple[Peer, ...]
    transports: transports.ServerTransports = transports.ServerTransports()


@dataclass(frozen=True)
class ClientSettings:
    """A validated client.toml."""

    path: Path
    private_key_file: Path | None
    private_key: bytes | None
    server: v.HostPort
    server_public_key: bytes
    interface: str
    mode: str
    routes: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    exclude: tuple[str, ...]
    exclude_routes: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    mtu: int | None
    dns: bool
    resolv_conf: Path
    keepalive: int | None
    cipher: str
    plaintext: bool
    compression: bool
    fwmark: int
    table: int
    rule_priority: int
    reconnect_min: float
    reconnect_max: float
    udp_offload: bool
    tun_offload: bool
    transport: str
    quic_spki_sha256: str | None
    quic_port: int
    tcp_port: int
    masque_service: str
    state_dir: Path
    fallback: transports.FallbackSettings = transports.FallbackSettings()


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except PermissionError:
        raise ConfigError(f"{path}: permission denied") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def _validate_table(table: Any, keys: Sequence[Key], where: str, errors: list[str]) -> dict[str, Any]:
    """Check one TOML table against `keys`; problems go to `errors`; returns field -> value."""
    if not isinstance(table, Mapping):
        errors.append(f"{where}: must be a table")
        return {}
    known = {k.field: k for k in keys}
    for name in table:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            errors.append(f"{where}.{name}: unknown key{hint}")
    out: dict[str, Any] = {}
    for key in keys:
        if key.field not in table:
            if key.default is REQUIRED:
                errors.append(f"{where}.{key.field}: required ({key.doc})")
                continue
            raw = key.default
        else:
            raw = table[key.field]
        try:
            out[key.field] = key.check(raw)
        except ValueError as exc:
            errors.append(f"{where}.{key.field}: {exc}")
    return out


def _sections(data: Mapping[str, Any], allowed: Sequence[str], errors: list[str]) -> None:
    for name in data:
        if name not in allowed:
            close = difflib.get_close_matches(name, allowed, n=1)
            hint = f" (did you mean [{close[0]}]?)" if close else ""
            errors.append(f"[{name}]: unknown section{hint}; expected {', '.join(f'[{a}]' for a in allowed)}")


def _resolve(base: Path, value: Path | None) -> Path | None:
    if value is None:
        return None
    return value if value.is_absolute() else (base / value)


def _raise(path: Path, errors: list[str]) -> None:
    if errors:
        raise ConfigError("\n".join(f"{path}: {e}" for e in errors))


def parse_server(data: Mapping[str, Any], path: Path) -> ServerSettings:
    errors: list[str] = []
    _sections(data, ("server", "peers", "tcp", "quic", "masque"), errors)
    fields = _validate_table(data.get("server", {}), SERVER_KEYS, "server", errors)
    sections = {name: _validate_table(data.get(name, {}), keys, name, errors)
                for name, keys in (("tcp", SERVER_TCP_KEYS), ("quic", SERVER_QUIC_KEYS),
                                   ("masque", SERVER_MASQUE_KEYS))}
    peers_raw = data.get("peers", [])
    peers: list[Peer] = []
    if not isinstance(peers_raw, list):
        errors.append("peers: must be an array of tables ([[peers]])")
        peers_raw = []
    names: dict[str, int] = {}
    keys_seen: dict[bytes, int] = {}
    for i, entry in enumerate(peers_raw):
        peer = _validate_table(entry, PEER_KEYS, f"peers[{i}]", errors)
        if len(peer) != len(PEER_KEYS):
            continue
        if peer["name"] in names:
            errors.append(f"peers[{i}].name: {peer['name']!r} already used by peers[{names[peer['name']]}]")
        if peer["public_key"] in keys_seen:
            errors.append(f"peers[{i}].public_key: same key as peers[{keys_seen[peer['public_key']]}]")
        names.setdefault(peer["name"], i)
        keys_seen.setdefault(peer["public_key"], i)
        peers.append(Peer(peer["name"], peer["public_key"]))
    if not errors and fields["ipv4_pool"] is None and fields["ipv6_pool"] is None:
        errors.append("server.ipv4_pool / server.ipv6_pool: at least one pool is needed")
    _raise(path, errors)
    base = path.parent
    fields["private_key_file"] = _resolve(base, fields["private_key_file"])
    served = transports.server_transports(sections, fields, base, errors)
    _raise(path, errors)
    return ServerSettings(path=path, peers=tuple(peers), transports=served, **fields)


def parse_client(data: Mapping[str, Any], path: Path) -> ClientSettings:
    errors: list[str] = []
    _sections(data, ("client", "fallback"), errors)
    fields = _validate_table(data.get("client", {}), CLIENT_KEYS, "client", errors)
    fallback = _validate_table(data.get("fallback", {}), CLIENT_FALLBACK_KEYS, "fallback", errors)
    if not errors:
        if (fields["private_key_file"] is None) == (fields["private_key"] is None):
            errors.append("client.private_key_file / client.private_key: give exactly one of them")
        if fields["reconnect_max"] < fields["reconnect_min"]:
            errors.append("client.reconnect_max: must not be smaller than client.reconnect_min")
    _raise(path, errors)
    fields["private_key_file"] = _resolve(path.parent, fields["private_key_file"])
    chosen = transports.fallback_settings(fallback, fields, errors, path)
    _raise(path, errors)
    return ClientSettings(path=path, fallback=chosen, **fields)


def load_server(path: Path) -> ServerSettings:
    return parse_server(read_toml(path), path)


def load_client(path: Path) -> ClientSettings:
    return parse_client(read_toml(path), path)


def _default_text(key: Key) -> str:
    if key.default is REQUIRED:
        return "required"
    if isinstance(key.default, bool):
        return "`true`" if key.default else "`false`"
    if isinstance(key.default, int) and key.name == "client.fwmark":
        return f"`{key.default:#x}`"
    if isinstance(key.default, list):
        return "`[" + ", ".join(f'"{x}"' for x in key.default) + "]`"
    if isinstance(key.default, str):
        return f'`"{key.default}"`'
    return f"`{key.default}`"


def markdown_table(keys: Sequence[Key]) -> str:
    """The README table for `keys` (key, type, default, meaning)."""
    rows = ["| key | type | default | meaning |", "|---|---|---|---|"]
    rows += [f"| `{k.name}` | {k.check.kind} | {_default_text(k)} | {k.doc} |" for k in keys]
    return "\n".join(rows)


def readme_section() -> str:
    """The three tables of the README's "Configuration" section."""
    return "\n\n".join([
        "`server.toml`, table `[server]`:", markdown_table(SERVER_KEYS),
        "`server.toml`, one `[[peers]]` table per authorized client:", markdown_table(PEER_KEYS),
        "`client.toml`, table `[client]`:", markdown_table(CLIENT_KEYS),
        "`server.toml`, table `[tcp]` (TCP transport):", markdown_table(SERVER_TCP_KEYS),
        "`server.toml`, table `[quic]` (QUIC transport):", markdown_table(SERVER_QUIC_KEYS),
        "`server.toml`, table `[masque]` (MASQUE proxy):", markdown_table(SERVER_MASQUE_KEYS),
        "`client.toml`, table `[fallback]` (transport selection):", markdown_table(CLIENT_FALLBACK_KEYS),
    ])


if __name__ == "__main__":
    print(readme_section())
