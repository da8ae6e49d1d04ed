"""The middlebox's nftables: counters that show what crosses it, and per-scenario impairments.

Everything lives in one table of our own (`inet oxl_lab`) inside the middlebox namespace. The
`forward` chain counts DNS, tunnel and "leak" packets (anything to the internet prefix that is not DNS:
with the tunnel up, that must stay zero) and then jumps to `impair`, which each scenario refills from
the rule table below (block a UDP port, block all UDP, random loss, rate limits).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from oxlab.topology import ADDR, Topology

TABLE = "oxl_lab"
FAMILY = "inet"
TUNNEL_UDP_PORT = 51820
TUNNEL_TCP_PORT = 51821
TUNNEL_QUIC_PORT = 51822
COUNTERS = ("dns_udp", "dns_tcp", "tunnel_to_server", "tunnel_from_server", "quic_to_server",
            "quic_from_server", "tcp_to_server", "tcp_from_server", "leak_v4", "leak_v6", "impair_drops",
            "forwarded")

BASE_RULESET = f"""
table {FAMILY} {TABLE} {{
{''.join(f'    counter {name} {{ }}{chr(10)}' for name in COUNTERS)}
    chain impair {{
    }}
    chain forward {{
        type filter hook forward priority 0; policy accept;
        counter name forwarded
        udp dport 53 counter name dns_udp
        tcp dport 53 counter name dns_tcp
        ip daddr {ADDR.server_v4} udp dport {TUNNEL_UDP_PORT} counter name tunnel_to_server
        ip saddr {ADDR.server_v4} udp sport {TUNNEL_UDP_PORT} counter name tunnel_from_server
        ip daddr {ADDR.server_v4} udp dport {TUNNEL_QUIC_PORT} counter name quic_to_server
        ip saddr {ADDR.server_v4} udp sport {TUNNEL_QUIC_PORT} counter name quic_from_server
        ip daddr {ADDR.server_v4} tcp dport {TUNNEL_TCP_PORT} counter name tcp_to_server
        ip saddr {ADDR.server_v4} tcp sport {TUNNEL_TCP_PORT} counter name tcp_from_server
        ip daddr {ADDR.internet_prefix_v4} udp dport != 53 counter name leak_v4
        ip daddr {ADDR.internet_prefix_v4} meta l4proto != udp counter name leak_v4
        ip6 daddr {ADDR.internet_prefix_v6} udp dport != 53 counter name leak_v6
        ip6 daddr {ADDR.internet_prefix_v6} meta l4proto != udp counter name leak_v6
        jump impair
    }}
}}
"""


@dataclass(frozen=True)
class Impairment:
    """One named impairment: a builder from its parameter to the rules of the `impair` chain."""

    name: str
    rules: Callable[[int], list[str]]
    doc: str


def policer_burst_kbytes(kbytes: int) -> int:
    return max(16, kbytes // 8)


def policer_bucket_bytes(kbytes: int) -> int:
    """What an idle nftables byte policer lets through at once: one second of rate plus the burst
    (nft_limit sizes its bucket as rate + burst; nft's kbytes are KiB)."""
    return (kbytes + policer_burst_kbytes(kbytes)) * 1024


def _loss_rules(percent: int) -> list[str]:
    if not 0 <= percent <= 100:
        raise ValueError(f"loss percent must be 0..100, not {percent}")
    if percent == 100:
        return ["counter name impair_drops drop"]
    return [f"numgen random mod 100 < {percent} counter name impair_drops drop"] if percent else []


IMPAIRMENTS: dict[str, Impairment] = {
    imp.name: imp
    for imp in (
        Impairment("none", lambda _: [], "no impairment"),
        Impairment(
            "block_udp_port",
            lambda port: [f"udp dport {port} counter name impair_drops drop",
                          f"udp sport {port} counter name impair_drops drop"],
            "drop UDP to and from one port (the tunnel's 51820)",
        ),
        Impairment(
            "block_udp",
            lambda _: ["meta l4proto udp counter name impair_drops drop"],
            "drop all UDP",
        ),
        Impairment("loss", lambda percent: _loss_rules(percent),
                   "drop N % of all forwarded packets at random (both directions)"),
        Impairment(
            "rate_limit_kbytes",
            lambda kbytes: [f"limit rate over {kbytes} kbytes/second burst {policer_burst_kbytes(kbytes)} "
                            "kbytes counter name impair_drops drop"],
            "police all forwarded traffic to N kbytes/s (burst N/8 kbytes), dropping the excess",
        ),
        Impairment(
            "rate_limit_pps",
            lambda pps: [f"limit rate over {pps}/second counter name impair_drops drop"],
            "drop what exceeds N packets/s",
        ),
    )
}


class Middlebox:
    """Installs the table, applies impairments, reads counters; removes the table on close."""

    def __init__(self, topo: Topology) -> None:
        self.topo = topo

    def nft(self, script: str) -> None:
        self.topo.run("middlebox", ["nft", "-f", "-"], input_text=script)

    def install(self) -> None:
        self.nft(BASE_RULESET)

    def remove(self) -> None:
        self.topo.run("middlebox", ["nft", "delete", "table", FAMILY, TABLE], check=False)

    def impair(self, name: str, value: int = 0) -> list[str]:
        """Replace the `impair` chain with one impairment; returns the rules applied."""
        rules = IMPAIRMENTS[name].rules(value)
        script = f"flush chain {FAMILY} {TABLE} impair\n" + "".join(
            f"add rule {FAMILY} {TABLE} impair {rule}\n" for rule in rules
        )
        self.nft(script)
        return rules

    def clear(self) -> None:
        self.impair("none")

    def counters(self) -> dict[str, dict[str, int]]:
        """{counter name: {"packets": n, "bytes": n}} for every named counter of our table."""
        done = self.topo.run("middlebox", ["nft", "-j", "list", "counters", "table", FAMILY, TABLE])
        found: dict[str, dict[str, int]] = {}
        for item in json.loads(done.stdout).get("nftables", []):
            counter = item.get("counter")
            if counter:
                found[counter["name"]] = {"packets": int(counter["packets"]), "bytes": int(counter["bytes"])}
        return found

    def packets(self) -> dict[str, int]:
        """Packet counts by counter name, plus byte counts as `<name>_bytes`."""
        found: dict[str, int] = {}
        for name, value in self.counters().items():
            found[name] = value["packets"]
            found[f"{name}_bytes"] = value["bytes"]
        return found

    def __enter__(self) -> Middlebox:
        self.install()
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {name: after.get(name, 0) - before.get(name, 0) for name in after}
