"""Small value types shared by the core and the runtimes."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PeerAddress:
    """Where a datagram came from or goes to; opaque to the core except for per-IP limits and cookies.

    ``transport`` names the bind that carried it (``udp``, ``quic``, ``tcp``, ``xdp``, ``memory``): the
    core uses it only for the confidential-transport rule of authenticated-plaintext packets.
    """

    host: str
    port: int
    transport: str = "udp"


@dataclass(frozen=True, slots=True)
class SessionStatus:
    """One row of ``oxidize status``: who, where (and over which transport), since when, how much.

    ``last_handshake`` is on the core's monotonic ``now`` clock (-inf before the first); bytes are
    datagram bytes on the wire (control messages included), packets are inner IP packets.
    """

    peer: bytes
    name: str
    endpoint: PeerAddress | None
    ipv4: ipaddress.IPv4Interface | None
    ipv6: ipaddress.IPv6Interface | None
    last_handshake: float
    handshakes: int
    rx_bytes: int
    tx_bytes: int
    rx_packets: int
    tx_packets: int

    @property
    def transport(self) -> str | None:
        return self.endpoint.transport if self.endpoint is not None else None
