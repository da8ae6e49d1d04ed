"""Run profiles: how big each load is. `full` is `make lab`; `quick` is what `make test` runs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    name: str
    download_bytes: int
    """Size of the HTTP file downloaded through the tunnel (checksum checked)."""
    loss_download_bytes: int
    """Size downloaded while the middlebox drops packets at random."""
    loss_percent: int
    download_timeout_s: float
    ping_count: int
    udp_echo_count: int
    rogue_packets: int
    """Garbage + replayed + forged datagrams the rogue host sends, in total."""
    rogue_seconds: float
    """Upper bound on the time the rogue host keeps sending."""
    reconnect_timeout_s: float
    rate_limit_kbytes: int
    """The middlebox polices all forwarded traffic to this many kbytes/s in the rate-limit scenario."""
    outage_s: float
    """How long the middlebox blocks the tunnel's UDP port in the outage scenario."""


PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile("full", download_bytes=50 << 20, loss_download_bytes=50 << 20, loss_percent=2,
                download_timeout_s=180, ping_count=10, udp_echo_count=500, rogue_packets=3000,
                rogue_seconds=10, reconnect_timeout_s=45, rate_limit_kbytes=4000, outage_s=10),
        Profile("quick", download_bytes=8 << 20, loss_download_bytes=4 << 20, loss_percent=2,
                download_timeout_s=90, ping_count=4, udp_echo_count=150, rogue_packets=600,
                rogue_seconds=5, reconnect_timeout_s=45, rate_limit_kbytes=1000, outage_s=5),
    )
}
