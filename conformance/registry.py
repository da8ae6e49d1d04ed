"""The check registry: a table of requirements (``catalog.py``) and the functions that test them.

A requirement row says *what* must hold (ID, spec section, MUST/SHOULD, transports); each profile
(``v3``, ``legacy``) registers its own function for the rows that apply to it, so one matrix row compares
implementations of different dialects on the same property.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conformance.context import CheckContext


class Level(StrEnum):
    MUST = "MUST"
    SHOULD = "SHOULD"


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"


@dataclass(frozen=True)
class Outcome:
    status: Status
    reason: str


def passed(reason: str) -> Outcome:
    return Outcome(Status.PASS, reason)


def failed(reason: str) -> Outcome:
    return Outcome(Status.FAIL, reason)


def skipped(reason: str) -> Outcome:
    return Outcome(Status.SKIP, reason)


class SkipCheck(Exception):
    """Raised inside a check when a precondition the target cannot offer is missing."""


class CheckFailed(Exception):
    """Raised inside a check (or a helper it calls) to fail with a reason."""


CheckFunction = Callable[["CheckContext"], Outcome]


@dataclass(frozen=True)
class Requirement:
    """One row of the catalog."""

    id: str
    title: str
    section: str
    level: Level
    transports: tuple[str, ...]
    requires: tuple[str, ...] = ()  # IDs that must pass first on the same transport, else skip
    needs_observer: bool = False


@dataclass(frozen=True)
class Implementation:
    requirement: Requirement
    profile: str
    function: CheckFunction


_IMPLEMENTATIONS: dict[tuple[str, str], Implementation] = {}


def implements(check_id: str, profile: str) -> Callable[[CheckFunction], CheckFunction]:
    """Register ``function`` as the ``profile`` test of catalog row ``check_id``."""
    from conformance.catalog import CATALOG

    if check_id not in CATALOG:
        raise KeyError(f"{check_id} is not in conformance/catalog.py")

    def register(function: CheckFunction) -> CheckFunction:
        key = (check_id, profile)
        if key in _IMPLEMENTATIONS:
            raise ValueError(f"{check_id} already has a {profile} implementation")
        _IMPLEMENTATIONS[key] = Implementation(CATALOG[check_id], profile, function)
        return function

    return register


def implementations(profile: str | None = None) -> list[Implementation]:
    """Every registered implementation (for one profile), in catalog order."""
    import conformance.checks  # noqa: F401  (registers the check modules)
    from conformance.catalog import CATALOG

    order = {cid: i for i, cid in enumerate(CATALOG)}
    found = [impl for (cid, prof), impl in _IMPLEMENTATIONS.items() if profile in (None, prof)]
    return sorted(found, key=lambda impl: (order[impl.requirement.id], impl.profile))
