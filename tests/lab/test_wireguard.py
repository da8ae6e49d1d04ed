"""The wireguard-go benchmark leg: a real userspace WireGuard tunnel between the lab namespaces."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from oxlab import traffic
from oxlab.bench.wireguard import WireguardGo
from oxlab.shell import ProcessTable
from oxlab.topology import ADDR, Topology


@pytest.mark.root
@pytest.mark.skipif(not shutil.which("wireguard-go"), reason="wireguard-go missing: run scripts/bootstrap.sh")
def test_wireguard_go_leg(tmp_path: Path) -> None:
    procs = ProcessTable(tmp_path / "logs")
    with Topology(roles=("client", "middlebox", "server", "internet")) as topo:
        wg = WireguardGo(topo, procs, tmp_path)
        try:
            wg.start()
            assert len(wg.pids()) == 2
            result = traffic.ping(topo, "client", ADDR.internet_v4, count=3, interval=0.1)
            assert result.received == 3
            shown = topo.run("client", ["wg", "show", wg.ifname["client"], "latest-handshakes"]).stdout
            assert shown.split()[1] != "0"  # a handshake happened: the ping went through wireguard
        finally:
            wg.stop()
            procs.stop_all()
        assert topo.ip("client", "link", "show", wg.ifname["client"], check=False).returncode != 0
