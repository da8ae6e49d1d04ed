"""Events the core reports to its runtime: frozen dataclasses named as facts (aioquic/h11 style).

On the client ``peer`` is the server's public key; on the server it is the client's, so one runtime
loop can handle both.  Inner packets are delivered in batches (``PacketsReceived``), one event per
session per ``receive_datagram(s)`` call, because the runtimes write batches to their devices.
"""

from __future__ import annotations

import enum
import ipaddress
from dataclasses import dataclass

from oxtunnel.types import PeerAddress


class TerminationReason(enum.Enum):
    """Why a session ended; the first five mirror the wire's DisconnectReason."""

    NORMAL = "normal"  # closed by the API or a DISCONNECT(normal)
    SHUTDOWN = "shutdown"  # the peer is shutting down
    IDLE = "idle"  # idle timeout
    POLICY = "policy"  # refused or ended by policy
    REKEY_FAILED = "rekey_failed"  # keys expired without a successful rekey
    ADDRESS_POOL_EXHAUSTED = "address_pool_exhausted"  # the server has no address for us
    HANDSHAKE_TIMEOUT = "handshake_timeout"  # no response within REKEY_ATTEMPT_TIME


@dataclass(frozen=True, slots=True)
class SessionParameters:
    """What the server granted (the decoded session_config), ready for a TUN device."""

    cipher: int
    features: int
    mtu: int
    keepalive_interval: int
    ipv4: ipaddress.IPv4Interface | None
    ipv6: ipaddress.IPv6Interface | None
    dns_servers: tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, ...]
    routes: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]


@dataclass(frozen=True, slots=True)
class HandshakeCompleted:
    """The first handshake of a session completed: data can flow."""

    peer: bytes
    endpoint: PeerAddress
    parameters: SessionParameters


@dataclass(frozen=True, slots=True)
class RekeyCompleted:
    """A later handshake completed; the new keypair carries traffic now."""

    peer: bytes
    receiver_index: int


@dataclass(frozen=True, slots=True)
class PacketsReceived:
    """Authenticated inner IP packets from the peer, in arrival order."""

    peer: bytes
    packets: list[bytes]


@dataclass(frozen=True, slots=True)
class SessionTerminated:
    """The session ended; ``by_peer`` tells whether an authenticated DISCONNECT said so."""

    peer: bytes
    reason: TerminationReason
    by_peer: bool


@dataclass(frozen=True, slots=True)
class ConfigUpdated:
    """The server pushed new session parameters (client side); the ACK is already queued."""

    peer: bytes
    config_id: int
    parameters: SessionParameters


@dataclass(frozen=True, slots=True)
class ConfigAcknowledged:
    """The client acknowledged a CONFIG_UPDATE (server side)."""

    peer: bytes
    config_id: int


@dataclass(frozen=True, slots=True)
class EndpointChanged:
    """The peer's latest authenticated packet came from a new address (roaming)."""

    peer: bytes
    old: PeerAddress | None
    new: PeerAddress


@dataclass(frozen=True, slots=True)
class ProbeAcknowledged:
    """The server answered a probe (``ClientSession.send_probe``) over ``endpoint`` after ``rtt`` seconds."""

    peer: bytes
    counter: int
    endpoint: PeerAddress
    rtt: float


Event = (
    HandshakeCompleted
    | RekeyCompleted
    | PacketsReceived
    | SessionTerminated
    | ConfigUpdated
    | ConfigAcknowledged
    | EndpointChanged
    | ProbeAcknowledged
)
