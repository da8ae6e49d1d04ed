"""The path drops everything for a while (a dead Wi-Fi): nothing gets through meanwhile, the client
keeps running, and once the path is back traffic resumes on its own with the same tunnel addresses.
(Only the tunnel's UDP port blocked is a different case: the client moves to QUIC — the fallback_*
scenarios.)"""

from __future__ import annotations

import time

from oxlab import traffic
from oxlab.lab import Lab
from oxlab.scenario import Outcome, Scenario
from oxlab.scenarios.common import tunnel
from oxlab.topology import ADDR


def run(lab: Lab, out: Outcome) -> None:
    ox = tunnel(lab)
    before = ox.tunnel_addresses()
    out.check("traffic flows before the outage", traffic.ping_ok(lab.topo, "client", ADDR.internet_v4))
    outage = lab.profile.outage_s
    out.metric("outage_s", outage)
    lab.middlebox.impair("loss", 100)  # every transport, so the fallback cannot route around it
    blocked_at = time.monotonic()
    during = traffic.ping(lab.topo, "client", ADDR.internet_v4, count=max(1, int(outage / 0.5) - 2),
                          interval=0.5, deadline_s=outage - 0.5)
    time.sleep(max(0.0, outage - (time.monotonic() - blocked_at)))
    lab.middlebox.clear()
    out.check("nothing answered while the path was down", during.received == 0, during.as_dict())
    out.check("the client is still running after the outage", ox.client is not None and ox.client.alive())
    resumed = ox.wait_traffic(ADDR.internet_v4, timeout=lab.profile.reconnect_timeout_s)
    out.metric("resume_seconds", resumed)
    out.check(f"traffic resumes within {lab.profile.reconnect_timeout_s:.0f} s of the path coming back",
              resumed is not None, ox.client.log_tail(600) if ox.client else "")
    after = ox.tunnel_addresses()
    out.check("the client keeps the same tunnel addresses", before == after, f"{before} -> {after}")
    out.metric("client_state", ox.status("client").get("state"))


SCENARIO = Scenario("udp_outage", "path down for a while: traffic resumes", run, budget_s=90)
