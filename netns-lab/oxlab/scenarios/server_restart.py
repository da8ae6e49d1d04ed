"""The server restarts: it leaves nothing behind when stopped, and the client reconnects by itself
with the same tunnel addresses (the pool is stable per client key) and traffic resumes."""

from __future__ import annotations

import time

from oxlab import traffic
from oxlab.lab import Lab
from oxlab.scenario import Outcome, Scenario
from oxlab.scenarios.common import check_stopped_cleanly, tunnel
from oxlab.topology import ADDR


def run(lab: Lab, out: Outcome) -> None:
    ox = tunnel(lab)
    before = ox.tunnel_addresses()
    out.check("traffic flows before the restart", traffic.ping_ok(lab.topo, "client", ADDR.internet_v4))
    code = ox.stop_server()
    check_stopped_cleanly(out, lab, "server", code, ox.server.log_tail(400) if ox.server else "",
                          lab.server_baseline)
    out.check("while the server is down, nothing answers through the tunnel",
              not traffic.ping_ok(lab.topo, "client", ADDR.internet_v4))
    down_at = time.monotonic()
    ox.start_server()
    resumed = ox.wait_traffic(ADDR.internet_v4, timeout=lab.profile.reconnect_timeout_s)
    out.metric("reconnect_seconds", resumed)
    out.metric("outage_seconds", round(time.monotonic() - down_at, 3))
    out.check(f"traffic resumes within {lab.profile.reconnect_timeout_s:.0f} s of the restart",
              resumed is not None, ox.client.log_tail(600) if ox.client else "")
    after = ox.tunnel_addresses()
    out.metric("addresses_before", [before.v4, before.v6])
    out.metric("addresses_after", [after.v4, after.v6])
    out.check("the client keeps the same tunnel addresses", before == after, f"{before} -> {after}")
    if resumed is not None:
        result = traffic.ping(lab.topo, "client", ADDR.internet_v6, count=3)
        out.check("IPv6 through the tunnel works after the restart", result.received == 3, result.as_dict())


SCENARIO = Scenario("server_restart", "server restart: client reconnects, same address", run, budget_s=90)
