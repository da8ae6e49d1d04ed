"""Small value types shared by the core and the runtimes."""

from __future__ import annotations

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
