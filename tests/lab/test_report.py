"""Reports: report.json is a list of scenarios with name, passed, seconds and numbers; md and PNGs."""

from __future__ import annotations

import json
from pathlib import Path

from oxlab.report import write_reports
from oxlab.scenario import Check, ScenarioResult


def test_reports_are_written(tmp_path: Path) -> None:
    results = [
        ScenarioResult("ping", "ping", True, 1.5, {"v4_rtt_ms": 0.4, "v6_rtt_ms": 0.5}, [Check("ok", True)]),
        ScenarioResult("http_download", "dl", False, 3.0, {"mbit_s": 420.0}, [Check("sha", False, "bad")]),
    ]
    write_reports(results, {"runtime": "udp", "profile": "quick"}, tmp_path)
    data = json.loads((tmp_path / "report.json").read_text())
    assert [(d["name"], d["passed"], d["seconds"]) for d in data] == [("ping", True, 1.5),
                                                                       ("http_download", False, 3.0)]
    assert data[1]["metrics"]["mbit_s"] == 420.0
    md = (tmp_path / "report.md").read_text()
    assert "1/2 scenarios passed" in md and "**FAIL**" in md
    for png in ("scenarios.png", "measurements.png"):
        assert (tmp_path / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
