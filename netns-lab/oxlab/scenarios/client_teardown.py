"""`oxidize up` stopped by SIGTERM leaves nothing behind: no oxtun0, no policy rules or routes of its
own, no nftables tables, and the resolver file as it was before."""

from __future__ import annotations

from oxlab import netstate
from oxlab.lab import Lab
from oxlab.scenario import Outcome, Scenario
from oxlab.scenarios.common import tunnel


def run(lab: Lab, out: Outcome) -> None:
    ox = tunnel(lab)
    code = ox.stop_client()
    out.metric("client_exit_code", code)
    out.check("the client exits cleanly on SIGTERM", code == 0, ox.client.log_tail(400) if ox.client else "")
    now = netstate.snapshot(lab.topo, "client")
    left = netstate.added_since(lab.client_baseline, now)
    lost = netstate.added_since(now, lab.client_baseline)
    out.metric("leftovers", left)
    out.metric("missing", lost)
    out.check("no link, rule, route or nftables table left that was not there before `oxidize up`",
              not left, left)
    out.check("nothing that was there before `oxidize up` is missing (routes, rules, links)", not lost, lost)
    resolv = lab.topo.resolv_conf("client").read_text()
    out.check("resolv.conf is restored", resolv == lab.client_resolv_baseline, resolv.strip())


SCENARIO = Scenario("client_teardown", "client stops cleanly and leaves nothing behind", run, budget_s=30)
