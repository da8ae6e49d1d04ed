"""The namespace topology: reachability as designed, teardown that leaves nothing, cleanup."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from oxlab import traffic
from oxlab.topology import ADDR, NETNS_ETC, Topology, list_lab_namespaces, owner_pid

LAB_DIR = Path(__file__).resolve().parents[2] / "netns-lab"


def test_owner_pid_is_read_from_our_names_only() -> None:
    assert owner_pid("oxl-123x0a0b-client") == 123
    assert owner_pid("other-123x0a0b-client") is None
    assert owner_pid("oxl-client") is None


@pytest.mark.root
def test_paths_and_teardown() -> None:
    topo = Topology()
    with topo:
        assert traffic.ping_ok(topo, "client", ADDR.server_v4)
        assert traffic.ping_ok(topo, "client", "2001:db8:1e::2")
        assert traffic.ping_ok(topo, "rogue", ADDR.server_v4)
        assert traffic.ping_ok(topo, "server", ADDR.internet_v4)
        route = topo.run("client", ["ip", "route", "get", ADDR.server_v4]).stdout
        assert f"via {ADDR.client_gw_v4}" in route  # only via the middlebox
        seen = topo.run("client", ["cat", "/etc/resolv.conf"]).stdout
        assert seen == topo.resolv_conf("client").read_text()
    assert not [ns for ns in list_lab_namespaces() if topo.run_id in ns]
    assert not [p for p in NETNS_ETC.glob(f"oxl-{topo.run_id}-*")] if NETNS_ETC.exists() else True


@pytest.mark.root
def test_sigterm_tears_down_and_cleanup_removes_dead_runs() -> None:
    script = ("import time; from oxlab.topology import Topology\n"
              "t = Topology(roles=('client', 'middlebox')); t.up(); print(t.run_id, flush=True)\n"
              "time.sleep(60)\n")
    env = {**os.environ, "PYTHONPATH": str(LAB_DIR)}
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    run_id = proc.stdout.readline().strip()
    assert any(run_id in ns for ns in list_lab_namespaces())
    proc.terminate()
    proc.wait(timeout=30)
    assert not any(run_id in ns for ns in list_lab_namespaces())
    # A SIGKILLed run leaves its namespace behind; `oxlab cleanup` removes it (its owner is dead).
    dead = "oxl-4194999x0000-client"  # above pid_max: never a live process
    subprocess.run(["ip", "netns", "add", dead], check=True)
    done = subprocess.run([sys.executable, "-m", "oxlab", "cleanup"], env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert dead not in list_lab_namespaces()
    time.sleep(0)
