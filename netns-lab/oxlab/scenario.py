"""What a scenario is and what it reports: named checks plus measured numbers.

A scenario is a function `run(lab, out)` that drives traffic and records `out.check(...)` (a fact that
must hold) and `out.metric(...)` (a number for the report). It passes when it raised nothing and every
check held; an exception is recorded as a failed scenario, never a crashed run.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from oxlab.lab import Lab


@dataclass
class Check:
    what: str
    ok: bool
    detail: str = ""


@dataclass
class Outcome:
    """Filled in by a scenario while it runs."""

    name: str
    checks: list[Check] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def check(self, what: str, ok: bool, detail: object = "") -> bool:
        self.checks.append(Check(what, bool(ok), str(detail)))
        return bool(ok)

    def metric(self, key: str, value: Any) -> None:
        self.metrics[key] = value

    def note(self, text: str) -> None:
        self.notes.append(text)


@dataclass
class ScenarioResult:
    name: str
    title: str
    passed: bool
    seconds: float
    metrics: dict[str, Any]
    checks: list[Check]
    error: str | None = None
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "passed": self.passed,
            "seconds": round(self.seconds, 3),
            "metrics": self.metrics,
            "checks": [{"what": c.what, "ok": c.ok, "detail": c.detail} for c in self.checks],
            "error": self.error,
            "notes": self.notes,
        }

    def failures(self) -> list[str]:
        found = [f"{c.what}: {c.detail}" for c in self.checks if not c.ok]
        if self.error:
            found.append(self.error.strip().splitlines()[-1])
        return found


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    run: Callable[[Lab, Outcome], None]
    needs_tunnel: bool = True
    budget_s: float = 120.0
    runtimes: tuple[str, ...] = ()
    """The --runtime values it applies to (empty: all); e.g. the fallback needs `udp` (transport auto)."""


def execute(scenario: Scenario, lab: Lab) -> ScenarioResult:
    """Run one scenario; exceptions become a failed result with the traceback's tail."""
    out = Outcome(scenario.name)
    started = time.monotonic()
    error = None
    try:
        scenario.run(lab, out)
    except Exception:  # noqa: BLE001 - one scenario failing must not stop the others
        error = traceback.format_exc(limit=6)[-2000:]
    finally:
        try:
            lab.reset_impairments()
        except Exception as exc:  # noqa: BLE001
            out.note(f"could not reset middlebox: {exc}")
    seconds = time.monotonic() - started
    passed = error is None and bool(out.checks) and all(c.ok for c in out.checks)
    if not out.checks and error is None:
        error = "scenario recorded no checks"
    return ScenarioResult(scenario.name, scenario.title, passed, seconds, out.metrics, out.checks, error,
                          out.notes)
