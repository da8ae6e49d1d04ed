"""`oxidize up` stopped by SIGTERM leaves nothing behind: no oxtun0, no policy rules or routes of its
own, no nftables tables, and the resolver file as it was before."""

from __future__ import annotations

from oxlab.lab import Lab
from oxlab.scenario import Outcome, Scenario
from oxlab.scenarios.common import check_stopped_cleanly, tunnel


def run(lab: Lab, out: Outcome) -> None:
    ox = tunnel(lab)
    code = ox.stop_client()
    check_stopped_cleanly(out, lab, "client", code, ox.client.log_tail(400) if ox.client else "",
                          lab.client_baseline)
    resolv = lab.topo.resolv_conf("client").read_text()
    out.check("resolv.conf is restored", resolv == lab.client_resolv_baseline, resolv.strip())


SCENARIO = Scenario("client_teardown", "client stops cleanly and leaves nothing behind", run, budget_s=30)
