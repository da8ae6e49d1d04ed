"""Snapshots of a namespace's network state, to show that a program left nothing behind."""

from __future__ import annotations

from oxlab.topology import Topology


def _lines(topo: Topology, role: str, *argv: str) -> list[str]:
    out = topo.run(role, list(argv), check=False).stdout
    return [line.strip() for line in out.splitlines() if line.strip()]


SYSCTLS = ("net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding", "net.ipv4.conf.all.src_valid_mark",
           "net.ipv4.conf.all.rp_filter", "net.ipv6.conf.all.disable_ipv6")


def snapshot(topo: Topology, role: str) -> dict[str, list[str]]:
    """Policy rules, routes in every table, links, nftables tables and routing sysctls of a namespace."""
    routes_v6 = [r for r in _lines(topo, role, "ip", "-6", "route", "show", "table", "all")
                 if "fe80::" not in r and not r.startswith("multicast")]
    return {
        "rules_v4": _lines(topo, role, "ip", "-4", "rule", "show"),
        "rules_v6": _lines(topo, role, "ip", "-6", "rule", "show"),
        "routes_v4": _lines(topo, role, "ip", "-4", "route", "show", "table", "all"),
        "routes_v6": routes_v6,
        "links": [line.split(":")[1].strip().split("@")[0]
                  for line in _lines(topo, role, "ip", "-o", "link", "show")],
        "nft_tables": _lines(topo, role, "nft", "list", "tables"),
        "sysctls": _lines(topo, role, "sysctl", *SYSCTLS),
    }


def added_since(before: dict[str, list[str]], now: dict[str, list[str]]) -> dict[str, list[str]]:
    """What `now` has that `before` had not, per key (only non-empty keys)."""
    grown = {key: sorted(set(lines) - set(before.get(key, []))) for key, lines in now.items()}
    return {key: lines for key, lines in grown.items() if lines}
