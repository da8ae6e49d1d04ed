"""The path drops the tunnel's UDP port for a while (a dead Wi-Fi, a firewall change): nothing gets
through meanwhile, the client keeps running, and once the path is back traffic resumes on its own
with the same tunnel addresses."""

from __future__ import annotations

import time

from oxlab import traffic
from oxlab.lab import Lab
from oxlab.middlebox import TUNNEL_UDP_PORT
from oxlab.scenario import Outcome, Scenario
from oxlab.scenarios.common import tunnel
from oxlab.topology import ADDR


def run(lab: Lab, out: Outcome) -> None:
    ox = tunnel(lab)
    before = ox.tunnel_addresses()
    out.check("traffic flows before the outage", traffic.ping_ok(lab.topo, "client", ADDR.internet_v4))
    outage = lab.profile.outage_s
    out.metric("outage_s", outage)
    lab.middlebox.impair("block_udp_port", TUNNEL_UDP_PORT)
    blocked_at = time.monotonic()
    during = traffic.ping(lab.topo, "client", ADDR.internet_v4, count=max(1, int(outage / 0.5) - 2),
                          interval=0.5, deadline_s=outage - 0.5)
    time.sleep(max(0.0, outage - (time.monotonic() - blocked_at)))
    lab.middlebox.clear()
    out.check("nothing answered while the tunnel's port was blocked", during.received == 0, during.as_dict())
    out.check("the client is still running after the outage", ox.client is not None and ox.client.alive())
    resumed = ox.wait_traffic(ADDR.internet_v4, timeout=lab.profile.reconnect_timeout_s)
    out.metric("resume_seconds", resumed)
    out.check(f"traffic resumes within {lab.profile.reconnect_timeout_s:.0f} s of the path coming back",
              resumed is not None, ox.client.log_tail(600) if ox.client else "")
    after = ox.tunnel_addresses()
    out.check("the client keeps the same tunnel addresses", before == after, f"{before} -> {after}")
    out.metric("client_state", ox.status("client").get("state"))


SCENARIO = Scenario("udp_outage", "tunnel port blocked for a while: traffic resumes", run, budget_s=90)
