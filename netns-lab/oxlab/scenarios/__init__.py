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


def applies(scenario: Scenario, runtime: str) -> bool:
    return not scenario.runtimes or runtime in scenario.runtimes


def select(names: list[str] | None, runtime: str = "udp") -> list[Scenario]:
    """The scenarios to run, in table order; `tunnel_up` always comes first when any needs the tunnel.
    Scenarios that do not apply to `runtime` (e.g. the fallback ones with a forced transport) are left out."""
    if not names:
        return [s for s in ORDER if applies(s, runtime)]
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        raise KeyError(f"unknown scenario(s) {', '.join(unknown)}; known: {', '.join(REGISTRY)}")
    wrong = [n for n in names if not applies(REGISTRY[n], runtime)]
    if wrong:
        raise KeyError(f"scenario(s) {', '.join(wrong)} need --runtime "
                       f"{' or '.join(REGISTRY[wrong[0]].runtimes)}")
    wanted = set(names)
    if any(REGISTRY[n].needs_tunnel for n in names):
        wanted.add("tunnel_up")
    return [s for s in ORDER if s.name in wanted]
