"""Tunables of the MASQUE proxy (ALPN `h3` on the QUIC port)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field


@dataclass(frozen=True)
class MasqueConfig:
    """MASQUE proxy settings; see docs/masque.md for the authentication model."""

    enabled: bool = True
    """Serve ALPN `h3` (CONNECT-UDP / CONNECT-IP) on the QUIC port."""
    token_sha256: list[str] = field(default_factory=list)
    """Hex SHA-256 digests of the bearer tokens that may use the proxy (`Authorization` or
    `Proxy-Authorization: Bearer <token>`). Empty = only the OxTunnel service path is open."""
    ipv4_pool: str = "10.89.0.0/24"
    """Addresses handed to CONNECT-IP clients; the first host address is the proxy's own (service) address."""
    ipv6_pool: str | None = "fd89:6f78:7100::/64"
    """IPv6 addresses for CONNECT-IP clients (None = IPv4 only)."""
    allow_destinations: list[str] = field(default_factory=list)
    """Destination rules to lift (names from oxtunnel.policy: metadata, loopback, link_local, ...)."""
    deny_networks: list[str] = field(default_factory=list)
    """Extra networks no MASQUE client may reach (the proxy's own addresses are always denied)."""
    udp_idle_timeout: float = 300.0
    """Seconds a CONNECT-UDP tunnel may stay silent before it is closed (RFC 9298 §3.1: ≥ 2 minutes)."""
    dns_timeout: float = 5.0
    """Seconds to resolve a CONNECT-UDP target name before answering 504 (dns_timeout)."""
    max_tunnels_per_connection: int = 16
    """Concurrent CONNECT-UDP/IP tunnels on one QUIC connection."""
    max_early_datagrams: int = 32
    """Datagrams buffered per stream while the target is still being resolved (requirement 48)."""
    oxtunnel_service_port: int = 51820
    """UDP port on the service address where scoped CONNECT-IP tunnels reach the OxTunnel core."""

    def __post_init__(self) -> None:
        for name in ("ipv4_pool", "ipv6_pool"):
            value = getattr(self, name)
            if value is None:
                continue
            try:
                net = ipaddress.ip_network(value)
            except ValueError as exc:
                raise ValueError(f"masque.{name}: {exc}") from None
            if net.num_addresses < 4:
                raise ValueError(f"masque.{name} {value} is too small")
        for digest in self.token_sha256:
            if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest.lower()):
                raise ValueError("masque.token_sha256 entries must be 64 hex digits (sha256 of the token)")
        if self.udp_idle_timeout < 120:
            raise ValueError("masque.udp_idle_timeout must be >= 120 s (RFC 9298 §3.1)")
