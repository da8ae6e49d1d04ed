"""Random loss on the middlebox (nftables `numgen random`): the download still completes intact."""

from __future__ import annotations

from oxlab.lab import Lab
from oxlab.scenario import Outcome, Scenario
from oxlab.scenarios.common import middlebox_delta, tunnel
from oxlab.scenarios.http_download import download
from oxlab.topology import ADDR


def run(lab: Lab, out: Outcome) -> None:
    tunnel(lab)
    percent = lab.profile.loss_percent
    rules = lab.middlebox.impair("loss", percent)
    out.metric("middlebox_rules", rules)
    out.metric("loss_percent", percent)
    with middlebox_delta(lab) as grown:
        download(lab, out, ADDR.internet_v4, "loss-blob.bin")
    lab.middlebox.clear()
    dropped, passed = grown.get("impair_drops", 0), grown.get("forwarded", 0)
    out.metric("middlebox_dropped", dropped)
    out.metric("middlebox_forwarded", passed)
    out.metric("measured_loss_pct", round(100.0 * dropped / passed, 2) if passed else None)
    out.check("the middlebox really dropped packets", dropped > 0, f"dropped={dropped} of {passed}")


SCENARIO = Scenario("loss", "2 % random loss on the middlebox: download completes", run, budget_s=200)
