"""The proof that traffic was tunnelled must fail when it was not (a check that cannot fail is no proof)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from oxlab import traffic
from oxlab.middlebox import Middlebox
from oxlab.scenario import Outcome
from oxlab.scenarios.common import check_tunnelled, middlebox_delta
from oxlab.topology import ADDR, Topology


def _failed(out: Outcome) -> list[str]:
    return [c.what for c in out.checks if not c.ok]


def test_check_tunnelled_rules() -> None:
    good = {"leak_v4": 0, "leak_v6": 0, "tunnel_to_server": 9, "tunnel_from_server": 9,
            "tunnel_from_server_bytes": 5000}
    out = Outcome("x")
    check_tunnelled(out, good, 8, min_bytes_from_server=4000)
    assert not _failed(out)
    for change in ({"leak_v6": 1}, {"tunnel_to_server": 7}, {"tunnel_from_server_bytes": 10}):
        bad = {**good, **change}
        out = Outcome("x")
        check_tunnelled(out, bad, 8, min_bytes_from_server=4000)
        assert len(_failed(out)) == 1


@pytest.mark.root
def test_plain_traffic_is_caught_as_a_leak() -> None:
    with Topology(roles=("client", "middlebox", "server", "internet")) as topo, Middlebox(topo) as mbox:
        lab: Any = SimpleNamespace(middlebox=mbox)
        with middlebox_delta(lab) as grown:
            assert traffic.ping(topo, "client", ADDR.internet_v6, count=2, interval=0.05).received == 2
        out = Outcome("ping")
        check_tunnelled(out, grown, 2)
    assert _failed(out) == ["no packet crossed the middlebox to the internet outside the tunnel",
                            "the middlebox saw >= 2 tunnel datagrams each way"]
