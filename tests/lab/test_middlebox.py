"""Middlebox impairments (rule table) and, as root, the real nftables table in a namespace."""

from __future__ import annotations

import pytest
from oxlab import traffic
from oxlab.middlebox import IMPAIRMENTS, Middlebox
from oxlab.topology import ADDR, Topology


def test_impairment_rules() -> None:
    assert IMPAIRMENTS["loss"].rules(2) == ["numgen random mod 100 < 2 counter name impair_drops drop"]
    assert any("udp dport 51820" in r for r in IMPAIRMENTS["block_udp_port"].rules(51820))
    assert IMPAIRMENTS["none"].rules(0) == []
    assert IMPAIRMENTS["loss"].rules(100) == ["counter name impair_drops drop"]
    with pytest.raises(ValueError):
        IMPAIRMENTS["loss"].rules(101)


@pytest.mark.root
def test_counters_and_impairments_in_a_namespace() -> None:
    with Topology(roles=("client", "middlebox", "server", "internet")) as topo, Middlebox(topo) as mbox:
        before = mbox.packets()
        assert traffic.ping(topo, "client", ADDR.internet_v4, count=3, interval=0.05).received == 3
        after = mbox.packets()
        assert after["leak_v4"] - before["leak_v4"] >= 3  # plain ICMP to the internet is a "leak"
        mbox.impair("loss", 100)
        assert traffic.ping(topo, "client", ADDR.internet_v4, count=3, interval=0.05).received == 0
        assert mbox.packets()["impair_drops"] >= 3
        mbox.clear()
        assert traffic.ping_ok(topo, "client", ADDR.internet_v4)


GSO_BURST = """
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_UDP, 103, 1000)  # UDP_SEGMENT: one send, ten 1000-byte datagrams
s.sendto(b"x" * 10000, ("203.0.113.2", 51820))
"""


@pytest.mark.root
@pytest.mark.parametrize("segment_udp", [True, False])
def test_middlebox_counts_datagrams_not_gso_super_packets(segment_udp: bool) -> None:
    roles = ("client", "middlebox", "server")
    with Topology(roles=roles, segment_udp=segment_udp) as topo, Middlebox(topo) as mbox:
        before = mbox.packets()["tunnel_to_server"]
        topo.run("client", ["python3", "-c", GSO_BURST])
        seen = mbox.packets()["tunnel_to_server"] - before
    assert seen == 10 if segment_udp else seen < 10
