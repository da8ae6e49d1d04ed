"""Tunables of the core: one dataclass per role, a docstring per field.

Protocol constants (timers, sizes, codes) live in ``generated.codecs.constants``; the timer fields here
default to them and exist so that tests and unusual deployments can shorten them.  Every check of a
config names the offending field (``ConfigError``), because a bad config is API misuse, not a peer fault.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field

from generated.codecs import constants as C
from oxtunnel.types import PeerAddress

Cipher = C.Cipher

KEY_SIZE = C.KEY_SIZE


class ConfigError(ValueError):
    """A configuration value is unusable; the message names the field."""


def check_key(name: str, value: bytes) -> None:
    if not isinstance(value, bytes | bytearray) or len(value) != KEY_SIZE:
        raise ConfigError(f"{name}: must be {KEY_SIZE} raw bytes")


def _check_positive(name: str, value: float) -> None:
    if value <= 0:
        raise ConfigError(f"{name}: must be > 0 (got {value})")


@dataclass(frozen=True)
class TimerConfig:
    """Session timers; defaults are the protocol constants (WireGuard's values)."""

    rekey_after_time: float = C.REKEY_AFTER_TIME
    """The client starts a new handshake once the current keypair is this old (seconds) and in use; a
    server whose sending keypair is this old plus rekey_timeout asks it to (REKEY_REQUEST)."""
    reject_after_time: float = C.REJECT_AFTER_TIME
    """A keypair older than this never sends or receives again (seconds)."""
    rekey_attempt_time: float = C.REKEY_ATTEMPT_TIME
    """The client gives up a handshake (and reports the session terminated) after this long."""
    rekey_timeout: float = C.REKEY_TIMEOUT
    """HANDSHAKE_INIT is retransmitted after this long without a response, plus jitter."""
    rekey_timeout_jitter: float = 0.333
    """Maximum random extra delay (seconds, from the injected rng) added to each retransmission."""
    keepalive_timeout: float = C.KEEPALIVE_TIMEOUT
    """After receiving data with nothing sent back for this long, a KEEPALIVE is sent."""
    rekey_after_messages: int = C.REKEY_AFTER_MESSAGES
    """The client rekeys once this many messages went either way under one keypair (it sees the
    server's counter in every envelope); a server that sent this many asks it to (REKEY_REQUEST)."""
    reject_after_messages: int = C.REJECT_AFTER_MESSAGES
    """No counter at or above this is ever sent or accepted."""

    def validate(self) -> None:
        for name in (
            "rekey_after_time",
            "reject_after_time",
            "rekey_attempt_time",
            "rekey_timeout",
            "keepalive_timeout",
        ):
            _check_positive(f"timers.{name}", getattr(self, name))
        if self.rekey_after_time >= self.reject_after_time:
            raise ConfigError("timers.rekey_after_time: must be below timers.reject_after_time")
        if not 0 < self.rekey_after_messages < self.reject_after_messages <= C.REJECT_AFTER_MESSAGES:
            raise ConfigError(
                "timers.rekey_after_messages: must be > 0 and below reject_after_messages, "
                f"which may not exceed {C.REJECT_AFTER_MESSAGES}"
            )
        if self.rekey_timeout_jitter < 0:
            raise ConfigError("timers.rekey_timeout_jitter: must be >= 0")


@dataclass(frozen=True)
class DataPathConfig:
    """Per-packet tunables shared by both roles."""

    batch_max_packet_size: int = 256
    """Only packets up to this size are put into batches (bigger ones go alone, one per datagram)."""
    compression_min_size: int = 128
    """Packets smaller than this are never compressed (LZ4 cannot win on them)."""
    compression_distinct_limit: int = 28
    """Entropy skip: a packet whose last 32 bytes hold at least this many distinct byte values looks
    random (encrypted or already compressed) and is sent uncompressed without trying (random data has
    about 30 distinct values in 32 bytes, text and protocol headers far fewer)."""
    confidential_transports: frozenset[str] = frozenset()
    """Transports that are confidential by themselves (e.g. ``quic``): authenticated-plaintext envelopes
    are sent and accepted on them even when the session did not negotiate plaintext.  Empty by default:
    a QUIC peer whose certificate is not verified is not a confidential channel."""
    max_queued_packets: int = 1024
    """Packets queued at the client while a handshake is in progress (older ones are dropped first)."""
    trace_records: int = 1024
    """How many drop records the trace keeps (the per-reason counters are unbounded)."""


@dataclass(frozen=True)
class ClientConfig:
    """Everything a client session needs: keys, the server, what to ask for."""

    private_key: bytes
    """The client's X25519 static private key (32 raw bytes)."""
    server_public_key: bytes
    """The server's X25519 static public key (32 raw bytes); without it nobody answers."""
    endpoint: PeerAddress
    """Where HANDSHAKE_INITs go first; afterwards datagrams go wherever ``set_endpoint`` says."""
    wall_clock: Callable[[], float]
    """Seconds since the Unix epoch for the TAI64N handshake timestamp (the runtime passes time.time)."""
    ciphers: tuple[C.Cipher, ...] = (C.Cipher.CHACHA20_POLY1305, C.Cipher.AES_256_GCM)
    """Ciphers the client supports, in order of preference: the first is sent as preferred."""
    compression: bool | None = None
    """Ask for LZ4 compression. None (default): only together with ``request_plaintext``, i.e. off
    whenever traffic is encrypted. True: also with encryption — compressing before encrypting leaks
    plaintext length (VORACLE), so only for traffic with no secrets an attacker can influence."""
    batching: bool = True
    """Ask for batches of small packets."""
    request_plaintext: bool = False
    """Ask for authenticated-plaintext envelopes (trusted networks only; the server must allow it)."""
    ipv6: bool = True
    """Ask for an IPv6 address and IPv6 inside the tunnel."""
    persistent_keepalive: float | None = None
    """Seconds between KEEPALIVEs when idle; None takes the server's keepalive_interval, 0 turns it off."""
    timers: TimerConfig = field(default_factory=TimerConfig)
    """Handshake and rekey timers."""
    data: DataPathConfig = field(default_factory=DataPathConfig)
    """Per-packet tunables."""

    def validate(self) -> None:
        check_key("private_key", self.private_key)
        check_key("server_public_key", self.server_public_key)
        if not self.ciphers or len(set(self.ciphers)) != len(self.ciphers):
            raise ConfigError("ciphers: needs at least one cipher, each at most once")
        for cipher in self.ciphers:
            if not isinstance(cipher, C.Cipher):
                raise ConfigError(f"ciphers: {cipher!r} is not a Cipher")
        if self.persistent_keepalive is not None and self.persistent_keepalive < 0:
            raise ConfigError("persistent_keepalive: must be >= 0 or None")
        self.timers.validate()


@dataclass(frozen=True)
class PeerConfig:
    """One authorized client, as a WireGuard [Peer] section."""

    public_key: bytes
    """The client's X25519 static public key (32 raw bytes)."""
    name: str = ""
    """A label for logs and status output."""
    ipv4_address: str | None = None
    """Pin this client to an IPv4 address of the pool (else one is derived from its key)."""
    ipv6_address: str | None = None
    """Pin this client to an IPv6 address of the pool (else one is derived from its key)."""
    allow_plaintext: bool | None = None
    """Override ServerConfig.allow_plaintext for this peer (None: use the server's policy)."""


@dataclass(frozen=True)
class ServerConfig:
    """The server endpoint: its key, its peers, what it grants and the limits it enforces."""

    private_key: bytes
    """The server's X25519 static private key (32 raw bytes)."""
    peers: tuple[PeerConfig, ...]
    """Authorized clients; anyone else gets no reply at all."""
    wall_clock: Callable[[], float]
    """Seconds since the Unix epoch (used only for logs of timestamps; the core never trusts it)."""
    ipv4_pool: str | None = "10.66.0.0/16"
    """IPv4 network of client addresses; the first host is the server's tunnel address. None: no IPv4."""
    ipv6_pool: str | None = "fd4f:5854:756e::/64"
    """IPv6 ULA network of client addresses; the first host is the server's. None: no IPv6."""
    mtu: int = C.MTU_DEFAULT
    """Tunnel MTU granted to clients (inner packet size limit)."""
    keepalive_interval: int = 25
    """Keepalive interval (seconds) the server asks clients to use; 0 = off."""
    dns_servers: tuple[str, ...] = ()
    """DNS servers pushed to clients (IPv4 or IPv6 addresses)."""
    routes: tuple[str, ...] = ("0.0.0.0/0", "::/0")
    """Routes pushed to clients (full tunnel by default)."""
    ciphers: tuple[C.Cipher, ...] = (C.Cipher.CHACHA20_POLY1305, C.Cipher.AES_256_GCM)
    """Ciphers the server accepts, in order of preference; AES-256-GCM is chosen only when both ends
    put it first."""
    allow_plaintext: bool = False
    """Grant authenticated-plaintext envelopes to clients that ask (trusted networks only)."""
    allow_compression: bool = True
    """Grant LZ4 compression to clients that ask for it."""
    allow_batching: bool = True
    """Grant batching to clients that ask for it."""
    allowed_destinations: frozenset[str] = frozenset()
    """Destination rules to lift (``loopback``, ``link_local``, ``multicast``, ``metadata``,
    ``unspecified``, ``broadcast``); everything in the table is refused otherwise."""
    denied_networks: tuple[str, ...] = ()
    """Extra inner destination networks to refuse."""
    allow_client_to_client: bool = False
    """Let clients reach each other's tunnel addresses (otherwise refused as a destination)."""
    handshake_rate: float = 5.0
    """HANDSHAKE_INITs per second accepted from one source IP (token bucket)."""
    handshake_burst: float = 10.0
    """Burst allowance of the per-source-IP handshake limit."""
    load_threshold: float = 100.0
    """Handshakes per second above which the server is under load and demands cookies (mac2)."""
    packet_rate: float = 200_000.0
    """Inner packets per second accepted from one client (token bucket)."""
    packet_burst: float = 20_000.0
    """Burst allowance of the per-client packet limit."""
    max_sessions: int = 65536
    """Most concurrent sessions; further handshakes are refused."""
    idle_timeout: float = 3 * C.REJECT_AFTER_TIME
    """A session with nothing authenticated received for this long is ended (DISCONNECT idle)."""
    config_update_retries: int = 5
    """How often an unacknowledged CONFIG_UPDATE is resent (every timers.rekey_timeout)."""
    timers: TimerConfig = field(default_factory=TimerConfig)
    """Session timers."""
    data: DataPathConfig = field(default_factory=DataPathConfig)
    """Per-packet tunables."""

    def validate(self) -> None:
        check_key("private_key", self.private_key)
        seen: set[bytes] = set()
        for i, peer in enumerate(self.peers):
            check_key(f"peers[{i}].public_key", peer.public_key)
            if bytes(peer.public_key) in seen:
                raise ConfigError(f"peers[{i}].public_key: listed twice")
            seen.add(bytes(peer.public_key))
        mtu_floor = C.MTU_MIN_IPV6 if self.ipv6_pool else C.MTU_MIN
        if not mtu_floor <= self.mtu <= C.MTU_MAX:
            raise ConfigError(f"mtu: must be between {mtu_floor} and {C.MTU_MAX} (got {self.mtu})")
        if not 0 <= self.keepalive_interval <= 0xFFFF:
            raise ConfigError("keepalive_interval: must fit in 0..65535 seconds")
        for name in ("dns_servers", "routes"):
            values = getattr(self, name)
            if len(values) > 255:
                raise ConfigError(f"{name}: at most 255 entries")
            for text in values:
                try:
                    (ipaddress.ip_address if name == "dns_servers" else ipaddress.ip_network)(text)
                except ValueError as exc:
                    raise ConfigError(f"{name}: {exc}") from None
        for pool in ("ipv4_pool", "ipv6_pool"):
            text = getattr(self, pool)
            if text is not None:
                try:
                    net = ipaddress.ip_network(text)
                except ValueError as exc:
                    raise ConfigError(f"{pool}: {exc}") from None
                if net.version != (4 if pool == "ipv4_pool" else 6) or net.num_addresses < 4:
                    raise ConfigError(f"{pool}: needs an IPv{pool[3]} network with room for clients")
        if self.ipv4_pool is None and self.ipv6_pool is None:
            raise ConfigError("ipv4_pool / ipv6_pool: at least one is needed")
        if not self.ciphers:
            raise ConfigError("ciphers: needs at least one cipher")
        for name in (
            "handshake_rate",
            "handshake_burst",
            "load_threshold",
            "packet_rate",
            "packet_burst",
            "idle_timeout",
        ):
            _check_positive(name, getattr(self, name))
        if self.max_sessions < 1:
            raise ConfigError("max_sessions: must be >= 1")
        self.timers.validate()
