"""Download the big file from the internet host through the tunnel and check its SHA-256."""

from __future__ import annotations

from oxlab import traffic
from oxlab.lab import Lab
from oxlab.scenario import Outcome, Scenario
from oxlab.scenarios.common import check_tunnelled, middlebox_delta, tunnel
from oxlab.topology import ADDR


def download(lab: Lab, out: Outcome, host: str, blob_name: str) -> traffic.DownloadResult:
    blob = lab.services.blobs[blob_name]
    result = traffic.http_download(lab.topo, "client", host, blob.url_path, blob.sha256,
                                   lab.workdir / "download.bin", lab.profile.download_timeout_s)
    out.metric("bytes", result.bytes)
    out.metric("download_seconds", result.seconds)
    out.metric("mbit_s", result.mbit_s)
    out.check(f"curl http://{host}{blob.url_path}: {blob.size} bytes, SHA-256 matches",
              result.ok and result.bytes == blob.size, result.as_dict())
    return result


def run(lab: Lab, out: Outcome) -> None:
    tunnel(lab)
    with middlebox_delta(lab) as grown:
        download(lab, out, ADDR.internet_v4, "blob.bin")
    size = lab.services.blobs["blob.bin"].size
    check_tunnelled(out, grown, min_tunnel_packets=20, min_bytes_from_server=size)


SCENARIO = Scenario("http_download", "HTTP download with checksum through the tunnel", run, budget_s=200)
