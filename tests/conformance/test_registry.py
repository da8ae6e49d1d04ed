"""The catalog and the registry agree: every implementation has a row, IDs and prerequisites are sane."""

from __future__ import annotations

import re

import pytest

from conformance.catalog import CATALOG
from conformance.registry import implementations, implements


def test_ids_are_well_formed_and_prerequisites_come_first() -> None:
    order = list(CATALOG)
    for position, (cid, req) in enumerate(CATALOG.items()):
        assert re.fullmatch(r"[A-Z]{2,4}-\d{3}", cid), cid
        assert req.transports and set(req.transports) <= {"udp", "tcp", "quic"}
        assert req.section, cid
        for prerequisite in req.requires:
            assert prerequisite in CATALOG, (cid, prerequisite)
            assert order.index(prerequisite) < position, f"{cid} runs before its prerequisite {prerequisite}"
            assert set(req.transports) <= set(CATALOG[prerequisite].transports), cid


def test_every_v3_row_outside_masque_is_implemented() -> None:
    done = {impl.requirement.id for impl in implementations("v3")}
    missing = [cid for cid in CATALOG if cid not in done and not cid.startswith("MASQ-")]
    assert missing == []


def test_registering_an_unknown_or_duplicate_id_is_refused() -> None:
    with pytest.raises(KeyError):
        implements("NOPE-001", "v3")
    implementations()  # make sure the real modules are registered
    with pytest.raises(ValueError, match="already has"):
        implements("HS-001", "v3")(lambda ctx: None)  # type: ignore[arg-type, return-value]
