"""The scenario table: name → scenario, in the order `oxlab run` executes them."""

from __future__ import annotations

from oxlab.scenario import Scenario
from oxlab.scenarios import (
    client_teardown,
    dns_outside,
    fallback,
    http_download,
    loss,
    masque_proxy,
    ping,
    rate_limit,
    roaming,
    rogue,
    server_restart,
    tunnel_up,
    udp_echo,
    udp_outage,
)

ORDER: tuple[Scenario, ...] = (
    tunnel_up.SCENARIO,
    ping.SCENARIO,
    udp_echo.SCENARIO,
    dns_outside.SCENARIO,
    http_download.SCENARIO,
    loss.SCENARIO,
    rate_limit.SCENARIO,
    rogue.SCENARIO,
    roaming.SCENARIO,
    udp_outage.SCENARIO,
    *fallback.SCENARIOS,
    masque_proxy.SCENARIO,
    server_restart.SCENARIO,
    client_teardown.SCENARIO,
)
REGISTRY: dict[str, Scenario] = {s.name: s for s in ORDER}


def select(names: list[str] | None) -> list[Scenario]:
    """The scenarios to run, in table order; `tunnel_up` always comes first when any needs the tunnel."""
    if not names:
        return list(ORDER)
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        raise KeyError(f"unknown scenario(s) {', '.join(unknown)}; known: {', '.join(REGISTRY)}")
    wanted = set(names)
    if any(REGISTRY[n].needs_tunnel for n in names):
        wanted.add("tunnel_up")
    return [s for s in ORDER if s.name in wanted]
