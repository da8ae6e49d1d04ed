"""The server's nftables ruleset: masquerade for the pool and a forward guard, in a table of its own.

One `inet` table (IPv4 and IPv6 together, NAT in `inet` needs Linux ≥ 5.2) that nothing else touches,
so removing it removes everything we added. The forward guard repeats in the kernel what the core
enforces per packet: what arrives from the tunnel device must carry a pool source address, a pool
source address arriving from anywhere else is dropped (spoofed), destinations the policy refuses
(link-local, cloud metadata, loopback) are never forwarded, and clients do not reach each other unless
allowed. The ruleset is generated as text (`ruleset()`, unit-tested) and loaded atomically by `nft -f -`.
"""

from __future__ import annotations

import ipaddress
import re
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from oxtunnel.policy import DESTINATION_RULES
from runtimes.undo import UndoStack, undo_handler

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
TABLE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,31}$")
FAMILY_WORD = {4: "ip", 6: "ip6"}


def blocked_networks(allowed: Iterable[str] = ()) -> tuple[IPNetwork, ...]:
    """The core's destination policy (oxtunnel.policy) as networks, minus the rule names allowed."""
    lifted = set(allowed)
    return tuple(ipaddress.ip_network(net) for name, nets in DESTINATION_RULES if name not in lifted
                 for net in nets)


class NftError(RuntimeError):
    """`nft` is missing or refused the ruleset; the message carries nft's own words."""


@dataclass(frozen=True)
class NatPlan:
    """What the server needs from nftables."""

    table: str
    interface: str
    pools: tuple[IPNetwork, ...]
    masquerade: bool = True
    blocked_destinations: tuple[IPNetwork, ...] = field(default_factory=blocked_networks)
    client_to_client: bool = False

    def __post_init__(self) -> None:
        if not TABLE_NAME.match(self.table):
            raise ValueError(f"nftables table name {self.table!r}: letters, digits, '_', at most 32")
        if not self.pools:
            raise ValueError("at least one address pool is needed")


def _quote(name: str) -> str:
    return '"' + name.replace('"', "") + '"'


def ruleset(plan: NatPlan) -> str:
    """The complete `nft -f` input that creates the table (and only that)."""
    dev = _quote(plan.interface)
    lines = [f"table inet {plan.table} {{", "  chain forward {",
             "    type filter hook forward priority filter - 5; policy accept;"]
    families = {p.version for p in plan.pools}
    for version in (4, 6):
        word = FAMILY_WORD[version]
        pools = [p for p in plan.pools if p.version == version]
        if not pools:
            lines.append(f"    iifname {dev} meta nfproto {'ipv4' if version == 4 else 'ipv6'} counter drop")
            continue
        pool_set = _set(pools)
        lines.append(f"    iifname {dev} {word} saddr != {pool_set} counter drop")
        lines.append(f"    iifname != {dev} {word} saddr {pool_set} counter drop")
        blocked = [b for b in plan.blocked_destinations if b.version == version]
        if blocked:
            lines.append(f"    iifname {dev} {word} daddr {_set(blocked)} counter drop")
    if not plan.client_to_client:
        lines.append(f"    iifname {dev} oifname {dev} counter drop")
    lines.append("  }")
    if plan.masquerade:
        lines += ["  chain postrouting {", "    type nat hook postrouting priority srcnat; policy accept;"]
        for version in sorted(families):
            pools = [p for p in plan.pools if p.version == version]
            lines.append(f"    {FAMILY_WORD[version]} saddr {_set(pools)} oifname != {dev} masquerade")
        lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _set(networks: Sequence[IPNetwork]) -> str:
    items = [str(n) for n in networks]
    return items[0] if len(items) == 1 else "{ " + ", ".join(items) + " }"


def _nft(args: Sequence[str], stdin: str | None = None) -> str:
    exe = shutil.which("nft")
    if exe is None:
        raise NftError("the nft command is missing (Debian package nftables)")
    proc = subprocess.run([exe, *args], input=stdin, capture_output=True, text=True, timeout=30, check=False)
    if proc.returncode != 0:
        raise NftError(f"nft {' '.join(args)}: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc.stdout


def table_exists(table: str, family: str = "inet") -> bool:
    out = _nft(["list", "tables", family])
    return f"table {family} {table}" in out.splitlines()


def apply(plan: NatPlan, undo: UndoStack) -> None:
    """Create the table atomically; undo deletes it. Refuses to reuse a table that already exists."""
    if table_exists(plan.table):
        raise NftError(f"nftables table inet {plan.table} already exists (another oxidize server, or a "
                       "leftover: `oxidize down`, or `nft delete table inet {plan.table}`)")
    _nft(["-f", "-"], stdin=ruleset(plan))
    undo.push("nft_table", f"nft delete table inet {plan.table}", table=plan.table, family="inet")


@undo_handler("nft_table")
def _delete_table(table: str, family: str) -> None:
    if table_exists(table, family):
        _nft(["delete", "table", family, table])


def counters(table: str) -> str:
    """The table as nft prints it, counters included (for `oxidize status --verbose` and tests)."""
    return _nft(["list", "table", "inet", table])
