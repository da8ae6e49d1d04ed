"""``make test``: the whole suite against our own ``oxidize server`` in a namespace lab, every transport.

The server is started through its CLI in the lab's server namespace and the suite runs as a separate
process in the peer namespace (``conformance/lab.py``), exactly as ``make conformance`` does: nothing of
the implementation is imported. Every MUST check that ran must pass; the report files must exist.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = [pytest.mark.root, pytest.mark.timeout(240)]


def _oxidize_server_exists() -> str | None:
    proc = subprocess.run(
        [sys.executable, "-m", "oxidize", "server", "--help"], capture_output=True, text=True
    )
    return None if proc.returncode == 0 else (proc.stderr.strip().splitlines() or ["no output"])[-1]


@pytest.fixture(scope="module")
def lab_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    if os.geteuid() != 0:
        pytest.skip("needs root: network namespaces, TUN and nftables")
    missing = _oxidize_server_exists()
    if missing:
        pytest.skip(f"`oxidize server` is not available yet: {missing}")
    from conformance import lab

    reports = tmp_path_factory.mktemp("reports")
    with lab.our_server(("udp", "tcp", "quic")) as server:
        # make test budget: a lab-sized silence window, and no 13 s idle wait for the SHOULD-level CTL-005
        # (make conformance runs it)
        status = lab.run_suite_in_peer(
            server, reports, ["--quiet"], timing={"silence_window": 0.15, "keepalive_wait_max": 0}
        )
        alive = server.alive()
        log = server.log_tail(40)
    data = json.loads((reports / "latest.json").read_text())
    data["_status"], data["_alive"], data["_log"] = status, alive, log
    assert (reports / "latest.md").exists()
    return data


def test_every_must_check_passes_against_our_server(lab_report: dict[str, object]) -> None:
    results = lab_report["results"]
    assert isinstance(results, list)
    failures = [
        f"{r['id']} [{r['transport']}]: {r['reason']}"
        for r in results
        if r["level"] == "MUST" and r["status"] == "fail"
    ]
    assert failures == [], "\n".join(failures) + f"\nserver log: {lab_report['_log']}"
    assert lab_report["_status"] == 0
    assert lab_report["_alive"], "the server died during the run"


def test_the_lab_exercised_the_observer_and_the_flood(lab_report: dict[str, object]) -> None:
    rows = {(r["id"], r["transport"]): r for r in lab_report["results"]}  # type: ignore[union-attr]
    for cid in ("HS-001", "DATA-001", "FWD-001", "FWD-002", "FWD-003", "FWD-004", "DOS-001", "DOS-002"):
        assert rows[(cid, "udp")]["status"] == "pass", (cid, rows[(cid, "udp")]["reason"])


def test_a_server_configured_with_holes_is_caught(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The lab can see what it claims to: lifting the destination policy must turn FWD-004/005 red."""
    if os.geteuid() != 0 or _oxidize_server_exists():
        pytest.skip("needs root and `oxidize server`")
    from conformance import lab

    reports = tmp_path_factory.mktemp("holes")
    holes = {"allow_destinations": '["loopback", "metadata", "link_local"]'}
    with lab.our_server(("udp",), extra_config=holes) as server:
        lab.run_suite_in_peer(server, reports, ["--quiet", "--only", "FWD-004,FWD-005", "--transport", "udp"])
    rows = {r["id"]: r for r in json.loads((reports / "latest.json").read_text())["results"]}
    assert rows["FWD-004"]["status"] == "fail" and "answered" in rows["FWD-004"]["reason"], rows["FWD-004"]
    assert rows["FWD-005"]["status"] == "fail" and "forwarded" in rows["FWD-005"]["reason"], rows["FWD-005"]
