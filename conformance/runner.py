"""Runs the registered checks against targets and collects one result per (target, check, transport)."""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from conformance.catalog import CATALOG
from conformance.context import CheckContext, RunState
from conformance.observer import ObserverError, make_observer
from conformance.registry import (
    CheckFailed,
    Implementation,
    Level,
    Outcome,
    Requirement,
    SkipCheck,
    Status,
    implementations,
    skipped,
)
from conformance.target import Target
from conformance.v3.client import HandshakeError


@dataclass(frozen=True)
class Result:
    target: str
    profile: str
    id: str
    title: str
    section: str
    level: Level
    transport: str
    status: Status
    reason: str
    seconds: float

    def as_dict(self) -> dict[str, object]:
        return {
            "target": self.target,
            "profile": self.profile,
            "id": self.id,
            "title": self.title,
            "section": self.section,
            "level": str(self.level),
            "transport": self.transport,
            "status": str(self.status),
            "reason": self.reason,
            "seconds": round(self.seconds, 3),
        }


Progress = Callable[[Result], None]


def _execute(impl: Implementation, ctx: CheckContext) -> Outcome:
    outcome = _call(impl, ctx)
    if ctx.notes:
        notes = "; ".join(dict.fromkeys(ctx.notes))
        outcome = Outcome(outcome.status, f"{outcome.reason} (note: {notes})")
    return outcome


def _call(impl: Implementation, ctx: CheckContext) -> Outcome:
    try:
        return impl.function(ctx)
    except SkipCheck as exc:
        return skipped(str(exc))
    except CheckFailed as exc:
        return Outcome(Status.FAIL, str(exc))
    except HandshakeError as exc:
        return Outcome(Status.FAIL, f"handshake failed: {exc}")
    except (ConnectionError, TimeoutError, OSError) as exc:
        return Outcome(Status.FAIL, f"transport error: {exc!r}")
    except Exception as exc:  # noqa: BLE001 - a crashing check is reported, never hides the others
        where = traceback.extract_tb(exc.__traceback__)[-1]
        return Outcome(
            Status.FAIL, f"check raised {exc!r} at {where.filename.rsplit('/', 1)[-1]}:{where.lineno}"
        )
    finally:
        ctx.close()


def _gate(req: Requirement, run: RunState, transport: str) -> Outcome | None:
    """Why this check cannot run here, if it cannot."""
    if transport not in run.target.transports:
        return skipped("transport not offered by target")
    if req.needs_observer and run.observer is None:
        return skipped(
            run.observer_error or "target has no [observer] behind the server (see conformance/README.md)"
        )
    for prerequisite in req.requires:
        previous = run.results.get((prerequisite, transport))
        if previous is None or previous.status != Status.PASS:
            state = previous.status.value if previous else "not run"
            return skipped(f"prerequisite {prerequisite} did not pass ({state})")
    return None


def _with_prerequisites(wanted: set[str]) -> set[str]:
    closure, todo = set(wanted), list(wanted)
    while todo:
        for prerequisite in CATALOG[todo.pop()].requires:
            if prerequisite not in closure:
                closure.add(prerequisite)
                todo.append(prerequisite)
    return closure


def run_target(
    target: Target,
    only: Iterable[str] | None = None,
    transports: Iterable[str] | None = None,
    progress: Progress | None = None,
) -> list[Result]:
    """Every catalog row for the target's profile, transport by transport, in catalog order.

    Rows the suite has no implementation of for this profile are reported as skips, so the matrix always
    shows the whole catalog."""
    unknown = set(only or ()) - set(CATALOG)
    if unknown:
        raise KeyError(f"unknown check IDs: {', '.join(sorted(unknown))}")
    wanted = set(only) if only else set(CATALOG)
    to_run = _with_prerequisites(wanted)
    functions = {impl.requirement.id: impl for impl in implementations(target.profile)}
    run = RunState(target)
    if target.observer is not None:
        observer = make_observer(target.observer)
        try:
            observer.start()
            run.observer = observer
        except ObserverError as exc:
            run.observer_error = f"observer unavailable: {exc}"
    results: list[Result] = []
    try:
        for transport in ("udp", "tcp", "quic"):
            if transports and transport not in transports:
                continue
            for req in CATALOG.values():
                if req.id not in to_run or transport not in req.transports:
                    continue
                started = time.monotonic()
                outcome = _gate(req, run, transport)
                impl = functions.get(req.id)
                if outcome is None and impl is None:
                    outcome = skipped(f"the suite has no {target.profile} implementation of this check yet")
                if outcome is None:
                    assert impl is not None
                    outcome = _execute(impl, CheckContext(run, transport))
                run.results[(req.id, transport)] = outcome
                if req.id not in wanted:
                    continue
                result = Result(
                    target.name,
                    target.profile,
                    req.id,
                    req.title,
                    req.section,
                    req.level,
                    transport,
                    outcome.status,
                    outcome.reason,
                    time.monotonic() - started,
                )
                results.append(result)
                if progress:
                    progress(result)
    finally:
        for closable in run.cache.get("closables", []):
            closable.close()
        if run.observer is not None:
            run.observer.stop()
    return results
