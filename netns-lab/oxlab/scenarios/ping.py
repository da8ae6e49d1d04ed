"""ping v4 and v6 from the client to the internet host, through the tunnel."""

from __future__ import annotations

from oxlab import traffic
from oxlab.lab import Lab
from oxlab.scenario import Outcome, Scenario
from oxlab.scenarios.common import check_tunnelled, middlebox_delta, tunnel
from oxlab.topology import ADDR


def run(lab: Lab, out: Outcome) -> None:
    tunnel(lab)
    count = lab.profile.ping_count
    with middlebox_delta(lab) as grown:
        for family, host in (("v4", ADDR.internet_v4), ("v6", ADDR.internet_v6)):
            result = traffic.ping(lab.topo, "client", host, count=count, interval=0.2)
            out.metric(f"{family}_rtt_ms", result.rtt_median_ms)
            out.metric(f"{family}_rtt_avg_ms", result.rtt_avg_ms)
            out.metric(f"{family}_loss_pct", result.loss_pct)
            out.check(f"ping {family} {host}: {count}/{count} replies", result.received == count,
                      result.as_dict())
    check_tunnelled(out, grown, 2 * count)


SCENARIO = Scenario("ping", "ping v4 and v6 through the tunnel", run, budget_s=30)
