"""The client's routing plan: full tunnel by policy routing (as wg-quick) or split routes.

Full tunnel, per address family, from the highest priority (lowest number) down:

1. exclusions — `lookup main` for the documented system traffic (DNS 53 udp/tcp, DHCP 67–68, NTP 123,
   mDNS 5353, localhost) and for the relay's own address, plus any `exclude_routes` the user lists;
2. `lookup main suppress_prefixlength 0` — specific routes of the main table (the LAN, the tunnel's own
   subnet) still win, only its default route is ignored;
3. `not fwmark M lookup T` — everything else uses table T, whose default route is the tunnel device.

The tunnel's own socket carries fwmark M, so its datagrams skip rule 3 and leave through the real
interface. The plan is data (`RoutingPlan`): the applier makes it real and `describe()` prints it.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from runtimes.linux import netconf
from runtimes.linux.netconf import RouteSpec, RuleSpec
from runtimes.undo import UndoStack

TCP = socket.IPPROTO_TCP
UDP = socket.IPPROTO_UDP

# name -> (protocol, first port, last port) selectors sent to the main table (BRIEF §2.10, seed table).
PORT_EXCLUSIONS: dict[str, tuple[tuple[int, int, int], ...]] = {
    "dns": ((UDP, 53, 53), (TCP, 53, 53)),
    "dhcp": ((UDP, 67, 68),),
    "ntp": ((UDP, 123, 123),),
    "mdns": ((UDP, 5353, 5353),),
}
# name -> destination prefixes per family sent to the main table.
PREFIX_EXCLUSIONS: dict[str, dict[int, tuple[str, ...]]] = {
    "localhost": {4: ("127.0.0.0/8",), 6: ("::1/128",)},
}
EXCLUSION_NAMES = tuple(PORT_EXCLUSIONS) + tuple(PREFIX_EXCLUSIONS)
MAIN_TABLE = 254
# offsets from the base priority: exclusions first, then suppress, then the fwmark rule
SUPPRESS_OFFSET = 90
FWMARK_OFFSET = 100
PRIORITY_SPAN = FWMARK_OFFSET + 1


@dataclass(frozen=True)
class RoutingPlan:
    """Routes and rules to install, in order."""

    routes: tuple[RouteSpec, ...]
    rules: tuple[RuleSpec, ...]

    def describe(self) -> list[str]:
        return [r.describe() for r in self.routes] + [r.describe() for r in self.rules]


def full_tunnel(
    *,
    ifname: str,
    table: int,
    fwmark: int,
    base_priority: int,
    versions: Iterable[int],
    relay_hosts: Sequence[str] = (),
    exclusions: Sequence[str] = EXCLUSION_NAMES,
    exclude_routes: Sequence[str] = (),
    blocked_versions: Iterable[int] = (),
) -> RoutingPlan:
    """All traffic of the families in `versions` through `ifname`, except the exclusions.

    Families in `blocked_versions` (a full tunnel without an address of that family) get the same
    rules but an `unreachable` default route: their traffic fails at once instead of leaking outside.
    """
    unknown = set(exclusions) - set(EXCLUSION_NAMES)
    if unknown:
        raise ValueError(f"unknown exclusions {sorted(unknown)}; known: {list(EXCLUSION_NAMES)}")
    routes: list[RouteSpec] = []
    rules: list[RuleSpec] = []
    blocked = set(blocked_versions) - set(versions)
    for version in sorted(set(versions) | blocked):
        default = "0.0.0.0/0" if version == 4 else "::/0"
        routes.append(RouteSpec(default, ifname, table, unreachable=version in blocked))
        prio = base_priority
        direct: list[str] = [_host_prefix(h) for h in relay_hosts if _version(h) == version]
        for name in exclusions:
            direct += PREFIX_EXCLUSIONS.get(name, {}).get(version, ())
        direct += [str(ipaddress.ip_network(p, strict=False)) for p in exclude_routes
                   if _version(p) == version]
        for dst in dict.fromkeys(direct):  # keep order, drop duplicates
            rules.append(RuleSpec(prio, version, MAIN_TABLE, dst=dst))
            prio += 1
        for name in exclusions:
            for proto, low, high in PORT_EXCLUSIONS.get(name, ()):
                rules.append(RuleSpec(prio, version, MAIN_TABLE, ip_proto=proto, dport=(low, high)))
                prio += 1
        if prio >= base_priority + SUPPRESS_OFFSET:
            raise ValueError(f"too many exclusions for the priority range starting at {base_priority}")
        rules.append(RuleSpec(base_priority + SUPPRESS_OFFSET, version, MAIN_TABLE, suppress_prefixlength=0))
        rules.append(RuleSpec(base_priority + FWMARK_OFFSET, version, table, fwmark=fwmark,
                              invert_fwmark=True))
    return RoutingPlan(tuple(routes), tuple(rules))


def split_tunnel(*, ifname: str, routes: Sequence[str], versions: Iterable[int]) -> RoutingPlan:
    """Only `routes` (prefixes) through `ifname`, in the main table; no rules needed."""
    wanted = set(versions)
    specs = [RouteSpec(str(ipaddress.ip_network(p, strict=False)), ifname) for p in routes]
    return RoutingPlan(tuple(dict.fromkeys(s for s in specs if s.version in wanted)), ())


def apply(plan: RoutingPlan, undo: UndoStack) -> None:
    """Install the plan; each step pushes its undo, so a failure half-way unwinds cleanly."""
    for version in {r.version for r in plan.rules}:
        prios = sorted({r.priority for r in plan.rules if r.version == version})
        taken = netconf.rules_at(range(prios[0], prios[-1] + 1), version)
        if taken:
            raise netconf.NetconfError(
                0, f"ip -{version} rule priorities {sorted(set(taken))} are already in use "
                   "(another tunnel, or a leftover: run `oxidize down`); choose another rule_priority")
    for route in plan.routes:
        netconf.add_route(undo, route)
    for rule in plan.rules:
        netconf.add_rule(undo, rule)


def _version(host_or_prefix: str) -> int:
    return ipaddress.ip_network(host_or_prefix, strict=False).version


def _host_prefix(host: str) -> str:
    address = ipaddress.ip_address(host)
    return f"{address}/{address.max_prefixlen}"
