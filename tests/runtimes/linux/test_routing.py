"""The client's routing plan (pure), and as root its installation and complete removal."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import pytest

from runtimes.linux import routing


def plan(**kw: object) -> routing.RoutingPlan:
    args: dict[str, object] = {"ifname": "oxtun0", "table": 51820, "fwmark": 0x4F58, "base_priority": 31000,
                               "versions": (4, 6), "relay_hosts": ("192.0.2.1",)}
    args.update(kw)
    return routing.full_tunnel(**args)  # type: ignore[arg-type]


def test_full_tunnel_ipv4_plan_reads_like_wg_quick() -> None:
    lines = [line for line in plan(versions=(4,)).describe() if line.startswith("ip -4")]
    assert lines == [
        "ip -4 route add 0.0.0.0/0 dev oxtun0 table 51820",
        "ip -4 rule add to 192.0.2.1/32 lookup main priority 31000",
        "ip -4 rule add to 127.0.0.0/8 lookup main priority 31001",
        "ip -4 rule add ipproto udp dport 53 lookup main priority 31002",
        "ip -4 rule add ipproto tcp dport 53 lookup main priority 31003",
        "ip -4 rule add ipproto udp dport 67-68 lookup main priority 31004",
        "ip -4 rule add ipproto udp dport 123 lookup main priority 31005",
        "ip -4 rule add ipproto udp dport 5353 lookup main priority 31006",
        "ip -4 rule add lookup main suppress_prefixlength 0 priority 31090",
        "ip -4 rule add not fwmark 0x4f58 lookup 51820 priority 31100",
    ]


def test_full_tunnel_ipv6_has_its_own_rules_and_no_v4_relay() -> None:
    lines = [line for line in plan().describe() if line.startswith("ip -6")]
    assert lines[0] == "ip -6 route add ::/0 dev oxtun0 table 51820"
    assert "ip -6 rule add to ::1/128 lookup main priority 31000" in lines
    assert not any("192.0.2.1" in line for line in lines)
    assert lines[-1] == "ip -6 rule add not fwmark 0x4f58 lookup 51820 priority 31100"


def test_exclusions_selectable_and_extra_routes_deduplicated() -> None:
    lines = plan(versions=(4,), exclusions=("dns",), exclude_routes=("192.168.1.0/24", "192.168.1.0/24"),
                 relay_hosts=()).describe()
    assert "ip -4 rule add to 192.168.1.0/24 lookup main priority 31000" in lines
    assert sum("192.168.1.0/24" in line for line in lines) == 1
    assert not any("dport 123" in line or "127.0.0.0/8" in line for line in lines)


def test_unknown_exclusion_refused() -> None:
    with pytest.raises(ValueError, match="unknown exclusions"):
        plan(exclusions=("smtp",))


def test_blocked_family_gets_unreachable_default_and_the_same_rules() -> None:
    lines = plan(versions=(4,), blocked_versions=(6,)).describe()
    assert "ip -6 route add unreachable ::/0 table 51820" in lines
    assert "ip -6 rule add not fwmark 0x4f58 lookup 51820 priority 31100" in lines
    assert "ip -4 route add 0.0.0.0/0 dev oxtun0 table 51820" in lines


def test_split_tunnel_routes_only_in_main_table() -> None:
    p = routing.split_tunnel(ifname="oxtun0", routes=("10.1.0.0/16", "fd00:1::/64", "10.1.0.0/16"),
                             versions=(4,))
    assert p.rules == () and p.describe() == ["ip -4 route add 10.1.0.0/16 dev oxtun0"]


APPLY_SCRIPT = """
import ipaddress, subprocess
from runtimes.linux import netconf, routing
from runtimes.linux.tun import TunDevice
from runtimes.undo import UndoStack

def route(*args):
    done = subprocess.run(["ip", "route", "get", *args], capture_output=True, text=True)
    return (done.stdout or done.stderr).splitlines()[0]

# a LAN with a default route in the main table, as on a real host
subprocess.run(["ip", "link", "add", "lan0", "type", "veth", "peer", "name", "lan1"], check=True)
subprocess.run(["ip", "link", "set", "lan1", "up"], check=True)
subprocess.run(["ip", "addr", "add", "192.168.1.10/24", "dev", "lan0"], check=True)
subprocess.run(["ip", "link", "set", "lan0", "up"], check=True)
subprocess.run(["ip", "route", "add", "default", "via", "192.168.1.1"], check=True)
undo = UndoStack()
tun = TunDevice("oxtun0", mtu=1400)
netconf.set_link_up("oxtun0", mtu=1400)
netconf.add_address(undo, "oxtun0", ipaddress.ip_interface("10.77.0.2/24"))
netconf.add_address(undo, "oxtun0", ipaddress.ip_interface("fd77::2/64"))
plan = routing.full_tunnel(ifname="oxtun0", table=51820, fwmark=0x4F58, base_priority=31000,
                           versions=(4, 6), relay_hosts=("192.0.2.1",))
routing.apply(plan, undo)
print("plain:", route("198.51.100.7"))
print("marked:", route("198.51.100.7", "mark", "0x4f58"))
print("dns:", route("198.51.100.7", "ipproto", "udp", "dport", "53"))
print("relay:", route("192.0.2.1"))
print("lan:", route("192.168.1.20"))
try:
    routing.apply(plan, UndoStack())
except netconf.NetconfError as exc:
    print("second:", "already in use" in str(exc))
blocked = routing.full_tunnel(ifname="oxtun0", table=51821, fwmark=0x4F59, base_priority=30000,
                              versions=(4,), blocked_versions=(6,))
routing.apply(blocked, undo)
print("v6:", route("2001:db8::1"))
print("errors:", undo.unwind())
tun.close()
print(subprocess.run(["ip", "rule"], capture_output=True, text=True).stdout)
print(subprocess.run(["ip", "-6", "rule"], capture_output=True, text=True).stdout)
print(subprocess.run(["ip", "route", "show", "table", "all"], capture_output=True, text=True).stdout)
"""


@pytest.mark.root
def test_apply_then_unwind_leaves_nothing(netns: Callable[[str], str]) -> None:
    ns = netns("route")
    out = subprocess.run(["ip", "netns", "exec", ns, sys.executable, "-c", APPLY_SCRIPT], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    found = dict(line.split(": ", 1) for line in lines if ": " in line and line.split(":")[0].isalnum())
    assert "dev oxtun0 table 51820" in found["plain"]     # ordinary traffic: into the tunnel
    assert "dev lan0" in found["marked"]                  # the tunnel's own (marked) traffic: not
    assert "dev lan0" in found["dns"]                     # DNS: excluded
    assert "dev lan0" in found["relay"]                   # the relay: excluded
    assert "dev lan0" in found["lan"]                     # the LAN: main table's specific route
    assert found["second"] == "True"
    assert "No route to host" in found["v6"]  # blocked at once, not leaked to lan0
    assert found["errors"] == "[]"
    rest = "\n".join(lines[lines.index("errors: []") + 1:]).replace("lan0", "").replace("lan1", "")
    for leftover in ("31000", "31100", "30000", "51820", "51821", "oxtun0", "unreachable"):
        assert leftover not in rest, leftover
