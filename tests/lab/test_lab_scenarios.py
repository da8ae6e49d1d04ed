"""`make lab` in CI: the quick profile of every scenario, run as `python -m oxlab run` (a real process,
so teardown, signal handling and the report are exercised as users get them)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from oxlab.oxidize import oxidize_argv
from oxlab.scenarios import ORDER
from oxlab.topology import list_lab_namespaces

LAB_DIR = Path(__file__).resolve().parents[2] / "netns-lab"
pytestmark = [pytest.mark.lab, pytest.mark.root]


def _cli_missing() -> str | None:
    try:
        done = subprocess.run(oxidize_argv("server", "--help"), capture_output=True, text=True, timeout=30)
    except OSError as exc:
        return f"the oxidize CLI cannot run: {exc}"
    if done.returncode != 0:
        return f"the oxidize CLI is not usable yet: {(done.stderr or done.stdout).strip()[:200]}"
    return None


@pytest.fixture(scope="module")
def lab_report(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    if os.geteuid() != 0:
        pytest.skip("needs root: network namespaces, veth and nftables (CI runs as root)")
    missing = _cli_missing()
    if missing:
        pytest.skip(missing)
    out = tmp_path_factory.mktemp("lab-report")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(LAB_DIR), os.environ.get("PYTHONPATH", "")])}
    argv = [sys.executable, "-m", "oxlab", "run", "--profile", "quick", "--report-dir", str(out)]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=400)
    report = out / "report.json"
    output = f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert report.exists(), f"no report.json (exit {done.returncode})\n{output}"
    results: list[dict[str, Any]] = json.loads(report.read_text())
    all_passed = all(r["passed"] for r in results)
    assert (done.returncode == 0) == all_passed, "exit status disagrees with the report"
    return results


@pytest.mark.timeout(420)
@pytest.mark.parametrize("name", [s.name for s in ORDER])
def test_scenario_passed(lab_report: list[dict[str, Any]], name: str) -> None:
    result = next((r for r in lab_report if r["name"] == name), None)
    assert result is not None, f"scenario {name} missing from the report"
    failed = [f"{c['what']}: {c['detail']}" for c in result["checks"] if not c["ok"]]
    assert result["passed"], "\n".join(failed + [result.get("error") or ""])


def test_no_namespace_left_behind(lab_report: list[dict[str, Any]]) -> None:
    mine = [ns for ns in list_lab_namespaces() if ns.split("-")[1].startswith(str(os.getpid()))]
    assert lab_report and not mine
