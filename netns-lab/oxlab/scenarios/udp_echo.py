"""Numbered UDP datagrams to the echo server through the tunnel, v4 and v6: all back, intact."""

from __future__ import annotations

from oxlab import traffic
from oxlab.lab import Lab
from oxlab.scenario import Outcome, Scenario
from oxlab.scenarios.common import check_tunnelled, middlebox_delta, tunnel
from oxlab.topology import ADDR


def run(lab: Lab, out: Outcome) -> None:
    tunnel(lab)
    count = lab.profile.udp_echo_count
    with middlebox_delta(lab) as grown:
        for family, host, size in (("v4", ADDR.internet_v4, 1200), ("v6", ADDR.internet_v6, 600)):
            result = traffic.udp_echo(lab.topo, "client", host, count=count, size=size)
            out.metric(f"{family}_received", result.get("received"))
            out.metric(f"{family}_rtt_ms_median", result.get("rtt_ms_median"))
            out.check(f"UDP echo {family}: {count}/{count} datagrams of {size} bytes back intact",
                      result.get("received") == count and result.get("corrupted") == 0, result)
    check_tunnelled(out, grown, count)


SCENARIO = Scenario("udp_echo", "UDP echo v4 and v6 through the tunnel", run, budget_s=60)
