"""The scenario framework: checks decide, exceptions fail one scenario, the table selects."""

from __future__ import annotations

from typing import Any

import pytest
from oxlab import scenarios
from oxlab.scenario import Outcome, Scenario, execute


class FakeLab:
    def __init__(self) -> None:
        self.resets = 0

    def reset_impairments(self) -> None:
        self.resets += 1


def _run(fn: Any) -> Any:
    lab = FakeLab()
    result = execute(Scenario("x", "x", fn), lab)  # type: ignore[arg-type]
    assert lab.resets == 1
    return result


def test_all_checks_must_hold() -> None:
    def good(lab: Any, out: Outcome) -> None:
        out.check("a", True)
        out.metric("n", 3)

    def bad(lab: Any, out: Outcome) -> None:
        out.check("a", True)
        out.check("b", False, "why")

    assert _run(good).passed and _run(good).metrics == {"n": 3}
    assert not _run(bad).passed and _run(bad).failures() == ["b: why"]


def test_exceptions_and_empty_scenarios_fail() -> None:
    def boom(lab: Any, out: Outcome) -> None:
        raise RuntimeError("kaput")

    result = _run(boom)
    assert not result.passed and "kaput" in (result.error or "")
    assert not _run(lambda lab, out: None).passed


def test_selection_keeps_table_order_and_adds_tunnel_up() -> None:
    assert [s.name for s in scenarios.select(["rogue", "ping"])] == ["tunnel_up", "ping", "rogue"]
    assert len(scenarios.select(None)) == len(scenarios.ORDER)
    with pytest.raises(KeyError):
        scenarios.select(["nope"])


def test_fallback_scenarios_only_with_the_auto_transport() -> None:
    names = [s.name for s in scenarios.select(None, "quic")]
    assert "ping" in names and not [n for n in names if n.startswith("fallback_")]
    assert "fallback_quic" in [s.name for s in scenarios.select(None, "udp")]
    with pytest.raises(KeyError, match="need --runtime udp"):
        scenarios.select(["fallback_tcp"], "tcp")
