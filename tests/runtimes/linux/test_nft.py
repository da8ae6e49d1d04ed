"""nftables ruleset generation (text) and, as root, loading and removing it in a throwaway namespace."""

from __future__ import annotations

import ipaddress
import subprocess
from collections.abc import Callable

import pytest

from runtimes.linux import nft
from runtimes.linux.nft import NatPlan

POOL4 = ipaddress.ip_network("10.77.0.0/24")
POOL6 = ipaddress.ip_network("fd77:6f78::/64")


def test_ruleset_dual_stack() -> None:
    text = nft.ruleset(NatPlan("oxidize", "oxs0", (POOL4, POOL6)))
    lines = [line.strip() for line in text.splitlines()]
    assert lines[0] == "table inet oxidize {"
    assert 'iifname "oxs0" ip saddr != 10.77.0.0/24 counter drop' in lines
    assert 'iifname != "oxs0" ip saddr 10.77.0.0/24 counter drop' in lines
    assert 'iifname "oxs0" ip6 saddr != fd77:6f78::/64 counter drop' in lines
    assert 'iifname "oxs0" oifname "oxs0" counter drop' in lines
    assert 'ip saddr 10.77.0.0/24 oifname != "oxs0" masquerade' in lines
    assert 'ip6 saddr fd77:6f78::/64 oifname != "oxs0" masquerade' in lines
    blocked4 = next(line for line in lines if line.startswith('iifname "oxs0" ip daddr {'))
    assert "127.0.0.0/8" in blocked4 and "169.254.0.0/16" in blocked4 and "169.254.169.254/32" in blocked4
    blocked6 = next(line for line in lines if line.startswith('iifname "oxs0" ip6 daddr {'))
    assert "fe80::/10" in blocked6 and "::1/128" in blocked6
    assert "type nat hook postrouting priority srcnat; policy accept;" in lines


def test_ruleset_ipv4_only_drops_ipv6_from_tunnel_and_no_nat_option() -> None:
    text = nft.ruleset(NatPlan("t1", "oxs0", (POOL4,), masquerade=False, client_to_client=True))
    assert 'iifname "oxs0" meta nfproto ipv6 counter drop' in text
    assert "masquerade" not in text and "postrouting" not in text
    assert 'oifname "oxs0" counter drop' not in text


@pytest.mark.parametrize("name", ["", "1abc", "has-dash", "x" * 33, "semi;colon"])
def test_table_name_validated(name: str) -> None:
    with pytest.raises(ValueError, match="table name"):
        NatPlan(name, "oxs0", (POOL4,))


def test_allowed_destination_classes_are_lifted() -> None:
    kept = nft.blocked_networks({"link_local", "loopback"})
    assert ipaddress.ip_network("fe80::/10") not in kept and ipaddress.ip_network("127.0.0.0/8") not in kept
    assert ipaddress.ip_network("169.254.169.254/32") in kept  # metadata is its own class


def test_interface_name_cannot_break_quoting() -> None:
    text = nft.ruleset(NatPlan("t", 'ev"il', (POOL4,)))
    assert '"evil"' in text


@pytest.mark.root
def test_apply_and_undo_in_namespace(netns: Callable[[str], str]) -> None:
    ns = netns("nft")
    script = (
        "import ipaddress; from runtimes.linux import nft; from runtimes.undo import UndoStack\n"
        "u = UndoStack()\n"
        "plan = nft.NatPlan('oxr_test', 'oxs0', (ipaddress.ip_network('10.77.0.0/24'),"
        " ipaddress.ip_network('fd77::/64')))\n"
        "nft.apply(plan, u)\n"
        "print(nft.table_exists('oxr_test'))\n"
        "try:\n    nft.apply(plan, u)\n"
        "except nft.NftError as e:\n    print('refused', 'already exists' in str(e))\n"
        "print(u.unwind(), nft.table_exists('oxr_test'))\n"
    )
    out = subprocess.run(["ip", "netns", "exec", ns, "python", "-c", script], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:3] == ["True", "refused True", "[] False"]
