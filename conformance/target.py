"""Conformance targets: the TOML file that says where an implementation listens and how to reach it.

A target is everything the suite needs to talk to an implementation over the wire, and nothing about
how it is built. Validation is strict and every error names the TOML key at fault, because a typo in a
target file must not silently turn checks into skips.
"""

from __future__ import annotations

import base64
import ipaddress
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROFILES = ("v3", "legacy")
TRANSPORTS = ("udp", "tcp", "quic")
DEFAULT_PORTS = {"udp": 51820, "tcp": 51821, "quic": 51822}
OBSERVER_MODES = ("sniff", "listen")
ECHO_PROTOCOLS = ("icmp", "udp")


class TargetError(ValueError):
    """A target file is missing a key or has a bad value; the message names the key."""

    def __init__(self, source: str, key: str, problem: str) -> None:
        super().__init__(f"{source}: {key}: {problem}")
        self.source = source
        self.key = key
        self.problem = problem


@dataclass(frozen=True)
class ObserverConfig:
    """A vantage point behind the server where forwarded packets would appear.

    ``sniff`` runs a scapy sniffer in network namespace ``netns`` on ``interface`` (root); ``listen``
    binds a UDP socket on ``address``:``port`` on the suite's own host (for targets on loopback).
    """

    address: str
    port: int
    mode: str
    netns: str | None = None
    interface: str | None = None


@dataclass(frozen=True)
class EchoConfig:
    """A host that answers through the tunnel: ICMP echo, or a UDP echo service on ``port``."""

    address: str | None  # None: the gateway (first host) of the assigned tunnel prefix
    protocol: str = "icmp"
    port: int = 7
    address6: str | None = None  # an IPv6 echo host (ICMPv6) for DATA-005; None: the IPv6 gateway


@dataclass(frozen=True)
class MasqueConfig:
    """How to reach the target's MASQUE proxy (HTTP/3 on the QUIC port)."""

    ip_path: str = "/.well-known/masque/ip/*/*/"  # CONNECT-IP request path (RFC 9484 default template)
    authority: str | None = None  # :authority; None = address:quic port
    token: bytes | None = None  # bearer token, read from token_file


@dataclass(frozen=True)
class Timing:
    """How long the suite waits; the defaults suit a lab, raise them for a target across a network."""

    reply_timeout: float = 2.0  # waiting for an answer that must come
    silence_window: float = 0.4  # listening for an answer that must not come
    flood_packets: int = 1500  # handshake flood: upper bound on datagrams sent
    flood_seconds: float = 3.0  # handshake flood: upper bound on duration
    keepalive_wait_max: float = 15.0  # longest idle wait the suite may spend on keepalive checks
    tcp_idle_wait: float = 10.0  # how long a stalled partial TCP frame may stay open (TCP-004)
    handshake_rate: float = 4.0  # INITs per second the suite sends from one address (servers rate-limit)


@dataclass(frozen=True)
class Target:
    """One implementation under test."""

    name: str
    profile: str
    address: str
    ports: dict[str, int]
    transports: tuple[str, ...]
    server_public_key: bytes | None
    client_private_keys: tuple[bytes, ...]
    observer: ObserverConfig | None
    echo: EchoConfig
    timing: Timing
    # extra local addresses the suite may bind: floods come from these, roaming moves to one
    source_addresses: tuple[str, ...] = ()
    masque: MasqueConfig = field(default_factory=MasqueConfig)
    quic_server_name: str = "localhost"
    source: str = "<memory>"

    def port(self, transport: str) -> int:
        return self.ports[transport]


def _key32(source: str, key: str, text: str) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (ValueError, TypeError):
        raise TargetError(source, key, "is not valid base64") from None
    if len(raw) != 32:
        raise TargetError(source, key, f"must decode to 32 bytes, got {len(raw)}")
    return raw


def _address(source: str, key: str, value: object) -> str:
    if not isinstance(value, str):
        raise TargetError(source, key, "must be an IP address string")
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise TargetError(source, key, f"{value!r} is not an IP address") from None


def _int(source: str, key: str, value: object, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise TargetError(source, key, f"must be an integer in {low}..{high}, got {value!r}")
    return value


def _num(source: str, key: str, value: object, low: float, high: float) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or not low <= value <= high:
        raise TargetError(source, key, f"must be a number in {low}..{high}, got {value!r}")
    return float(value)


def _table(source: str, key: str, value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TargetError(source, key, "must be a table")
    return value


def _reject_unknown(source: str, prefix: str, table: dict[str, Any], known: set[str]) -> None:
    for name in table:
        if name not in known:
            raise TargetError(source, f"{prefix}{name}", f"unknown key (expected one of {sorted(known)})")


def _read_key_file(source: str, key: str, base: Path, value: object) -> bytes:
    if not isinstance(value, str):
        raise TargetError(source, key, "must be a file path string")
    path = (base / value).expanduser()
    try:
        text = path.read_text()
    except OSError as exc:
        raise TargetError(source, key, f"cannot read {path}: {exc.strerror}") from None
    return _key32(source, f"{key} ({path})", text)


def _observer(source: str, raw: dict[str, Any]) -> ObserverConfig:
    _reject_unknown(source, "observer.", raw, {"address", "port", "mode", "netns", "interface"})
    if "address" not in raw:
        raise TargetError(source, "observer.address", "is required")
    mode = raw.get("mode", "sniff")
    if mode not in OBSERVER_MODES:
        raise TargetError(source, "observer.mode", f"must be one of {OBSERVER_MODES}, got {mode!r}")
    netns, interface = raw.get("netns"), raw.get("interface")
    if mode == "sniff":
        if not isinstance(netns, str) or not netns:
            raise TargetError(source, "observer.netns", "is required when observer.mode = 'sniff'")
        if not isinstance(interface, str) or not interface:
            raise TargetError(source, "observer.interface", "is required when observer.mode = 'sniff'")
    return ObserverConfig(
        address=_address(source, "observer.address", raw["address"]),
        port=_int(source, "observer.port", raw.get("port", 9), 1, 65535),
        mode=mode,
        netns=netns,
        interface=interface,
    )


def _echo(source: str, raw: dict[str, Any]) -> EchoConfig:
    _reject_unknown(source, "echo.", raw, {"address", "address6", "protocol", "port"})
    protocol = raw.get("protocol", "icmp")
    if protocol not in ECHO_PROTOCOLS:
        raise TargetError(source, "echo.protocol", f"must be one of {ECHO_PROTOCOLS}, got {protocol!r}")
    address = raw.get("address")
    return EchoConfig(
        address=None if address in (None, "gateway") else _address(source, "echo.address", address),
        protocol=protocol,
        port=_int(source, "echo.port", raw.get("port", 7), 1, 65535),
        address6=None
        if raw.get("address6") in (None, "gateway")
        else _address(source, "echo.address6", raw["address6"]),
    )


def _timing(source: str, raw: dict[str, Any]) -> Timing:
    defaults = Timing()
    _reject_unknown(source, "timing.", raw, set(Timing.__dataclass_fields__))
    return Timing(
        reply_timeout=_num(
            source, "timing.reply_timeout", raw.get("reply_timeout", defaults.reply_timeout), 0.05, 60
        ),
        silence_window=_num(
            source, "timing.silence_window", raw.get("silence_window", defaults.silence_window), 0.05, 30
        ),
        flood_packets=_int(
            source, "timing.flood_packets", raw.get("flood_packets", defaults.flood_packets), 10, 20000
        ),
        flood_seconds=_num(
            source, "timing.flood_seconds", raw.get("flood_seconds", defaults.flood_seconds), 0.1, 10
        ),
        keepalive_wait_max=_num(
            source,
            "timing.keepalive_wait_max",
            raw.get("keepalive_wait_max", defaults.keepalive_wait_max),
            0,
            120,
        ),
        handshake_rate=_num(
            source, "timing.handshake_rate", raw.get("handshake_rate", defaults.handshake_rate), 0.5, 1000
        ),
        tcp_idle_wait=_num(
            source, "timing.tcp_idle_wait", raw.get("tcp_idle_wait", defaults.tcp_idle_wait), 0.5, 300
        ),
    )


def _masque(source: str, base: Path, raw: dict[str, Any]) -> MasqueConfig:
    _reject_unknown(source, "masque.", raw, {"ip_path", "authority", "token_file"})
    path = raw.get("ip_path", MasqueConfig.ip_path)
    if not isinstance(path, str) or not path.startswith("/"):
        raise TargetError(source, "masque.ip_path", "must be a path starting with '/'")
    authority = raw.get("authority")
    if authority is not None and (not isinstance(authority, str) or not authority):
        raise TargetError(source, "masque.authority", "must be a non-empty host[:port] string")
    token: bytes | None = None
    if "token_file" in raw:
        value = raw["token_file"]
        if not isinstance(value, str):
            raise TargetError(source, "masque.token_file", "must be a file path string")
        try:
            token = (base / value).expanduser().read_text().strip().encode()
        except OSError as exc:
            raise TargetError(
                source, "masque.token_file", f"cannot read {base / value}: {exc.strerror}"
            ) from None
        if not token:
            raise TargetError(source, "masque.token_file", "is empty")
    return MasqueConfig(ip_path=path, authority=authority, token=token)


TOP_KEYS = {
    "name",
    "profile",
    "address",
    "transports",
    "ports",
    "server_public_key",
    "server_public_key_file",
    "client_private_key_files",
    "observer",
    "echo",
    "timing",
    "quic_server_name",
    "source_addresses",
    "masque",
}


def parse_target(data: dict[str, Any], source: str = "<memory>", base: Path | None = None) -> Target:
    """Validate a parsed TOML document into a Target; raises TargetError naming the bad key."""
    base = base or Path.cwd()
    _reject_unknown(source, "", data, TOP_KEYS)
    profile = data.get("profile", "v3")
    if profile not in PROFILES:
        raise TargetError(source, "profile", f"must be one of {PROFILES}, got {profile!r}")
    if "address" not in data:
        raise TargetError(source, "address", "is required")
    address = _address(source, "address", data["address"])

    transports_raw = data.get("transports", ["udp"])
    if not isinstance(transports_raw, list) or not transports_raw:
        raise TargetError(source, "transports", f"must be a non-empty list drawn from {TRANSPORTS}")
    for item in transports_raw:
        if item not in TRANSPORTS:
            raise TargetError(source, "transports", f"unknown transport {item!r} (known: {TRANSPORTS})")
    transports = tuple(dict.fromkeys(transports_raw))

    ports_raw = _table(source, "ports", data.get("ports", {}))
    _reject_unknown(source, "ports.", ports_raw, set(TRANSPORTS))
    ports = {t: _int(source, f"ports.{t}", ports_raw.get(t, DEFAULT_PORTS[t]), 1, 65535) for t in TRANSPORTS}

    server_public: bytes | None = None
    if "server_public_key" in data and "server_public_key_file" in data:
        raise TargetError(
            source, "server_public_key", "give either server_public_key or server_public_key_file, not both"
        )
    if "server_public_key" in data:
        if not isinstance(data["server_public_key"], str):
            raise TargetError(source, "server_public_key", "must be a base64 string")
        server_public = _key32(source, "server_public_key", data["server_public_key"])
    elif "server_public_key_file" in data:
        server_public = _read_key_file(source, "server_public_key_file", base, data["server_public_key_file"])

    files = data.get("client_private_key_files", [])
    if not isinstance(files, list):
        raise TargetError(source, "client_private_key_files", "must be a list of file paths")
    client_keys = tuple(
        _read_key_file(source, f"client_private_key_files[{i}]", base, f) for i, f in enumerate(files)
    )
    if profile == "v3":
        if server_public is None:
            raise TargetError(
                source, "server_public_key", "is required for profile 'v3' (or give server_public_key_file)"
            )
        if not client_keys:
            raise TargetError(
                source,
                "client_private_key_files",
                "profile 'v3' needs at least one authorized client private key file",
            )

    observer = _observer(source, _table(source, "observer", data["observer"])) if "observer" in data else None
    echo = _echo(source, _table(source, "echo", data.get("echo", {})))
    timing = _timing(source, _table(source, "timing", data.get("timing", {})))
    name = data.get("name", Path(source).stem if source != "<memory>" else "target")
    if not isinstance(name, str) or not name:
        raise TargetError(source, "name", "must be a non-empty string")
    server_name = data.get("quic_server_name", "localhost")
    if not isinstance(server_name, str):
        raise TargetError(source, "quic_server_name", "must be a string")
    sources_raw = data.get("source_addresses", [])
    if not isinstance(sources_raw, list):
        raise TargetError(source, "source_addresses", "must be a list of local IP addresses")
    sources = tuple(_address(source, f"source_addresses[{i}]", a) for i, a in enumerate(sources_raw))
    masque = _masque(source, base, _table(source, "masque", data.get("masque", {})))
    return Target(
        name=name,
        masque=masque,
        profile=profile,
        address=address,
        ports=ports,
        transports=transports,
        server_public_key=server_public,
        client_private_keys=client_keys,
        observer=observer,
        echo=echo,
        timing=timing,
        source_addresses=sources,
        quic_server_name=server_name,
        source=source,
    )


def load_target(path: str | Path) -> Target:
    """Read and validate a target TOML file (relative key paths are relative to the file)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except OSError as exc:
        raise TargetError(str(path), "<file>", f"cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise TargetError(str(path), "<file>", f"not valid TOML: {exc}") from None
    return parse_target(data, source=str(path), base=path.parent)
