"""The middlebox polices the path to a fixed rate: the download through the tunnel still completes
intact, takes at least as long as the policer allows, and still uses a fair part of the rate (the
tunnel does not collapse under the policer's drops)."""

from __future__ import annotations

from oxlab.lab import Lab
from oxlab.middlebox import policer_bucket_bytes
from oxlab.scenario import Outcome, Scenario
from oxlab.scenarios.common import middlebox_delta, tunnel
from oxlab.scenarios.http_download import download
from oxlab.topology import ADDR

MIN_SHARE = 0.2  # of the policed rate: TCP inside the tunnel must still use the link
TIMING_SLACK = 0.9  # the policer's clock and ours


def run(lab: Lab, out: Outcome) -> None:
    tunnel(lab)
    kbytes = lab.profile.rate_limit_kbytes
    rate = kbytes * 1024  # bytes/s
    out.metric("middlebox_rules", lab.middlebox.impair("rate_limit_kbytes", kbytes))
    out.metric("limit_mbit_s", round(rate * 8 / 1e6, 2))
    size = lab.services.blobs["loss-blob.bin"].size
    with middlebox_delta(lab) as grown:
        result = download(lab, out, ADDR.internet_v4, "loss-blob.bin")
    lab.middlebox.clear()
    out.metric("policer_drops", grown.get("impair_drops", 0))
    at_least = max(0.0, (size - policer_bucket_bytes(kbytes)) / rate)
    at_most = size / (MIN_SHARE * rate)
    out.metric("share_of_limit", round(size / result.seconds / rate, 3) if result.seconds else None)
    out.check(f"the policer held the download to its rate (>= {at_least:.1f} s)",
              result.seconds >= TIMING_SLACK * at_least, f"{result.seconds} s")
    out.check(f"the tunnel still used >= {MIN_SHARE:.0%} of the policed rate (<= {at_most:.1f} s)",
              result.seconds <= at_most, f"{result.seconds} s")
    out.check("the policer dropped packets", grown.get("impair_drops", 0) > 0, grown.get("impair_drops", 0))


SCENARIO = Scenario("rate_limit", "policed path: download completes within the limit", run, budget_s=120)
