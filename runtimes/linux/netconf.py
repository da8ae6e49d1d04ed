"""Interface, address, route and rule changes through netlink (pyroute2), each with its undo action.

Every `add_*` makes one change and, once it succeeded, pushes the revert onto the caller's `UndoStack`.
Undo handlers open their own short-lived netlink socket and accept "already gone" (a route vanishes with
its device), so replaying a stack after a crash is safe.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import errno
import functools
import ipaddress
import logging
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pyroute2 import IPRoute
from pyroute2.netlink.exceptions import NetlinkError

from runtimes.undo import UndoStack, undo_handler

log = logging.getLogger(__name__)

FAMILY = {4: socket.AF_INET, 6: socket.AF_INET6}
FIB_RULE_INVERT = 0x2
IFF_UP = 0x1
# TUN drops what the kernel queues beyond txqueuelen before we read it (default 500): a TCP burst
# overflows that between two reads and every drop costs a retransmission, so queue more.
TUN_TXQUEUELEN = 4096
IFF_MULTICAST = 0x1000
# errors that mean "the thing to remove is not there any more"
_GONE = {errno.ENOENT, errno.ESRCH, errno.ENODEV, errno.EADDRNOTAVAIL}


class NetconfError(OSError):
    """A netlink change failed; the message names the change."""


_worker = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="netlink")
F = TypeVar("F", bound=Callable[..., Any])


def off_loop(func: F) -> F:
    """Run `func` on a worker thread when called from a running event loop.

    pyroute2's synchronous IPRoute drives an asyncio loop of its own, which cannot nest in ours; the
    changes are rare (set-up, reconfiguration, teardown), so blocking the loop for them is fine.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return func(*args, **kwargs)
        return _worker.submit(func, *args, **kwargs).result()

    return wrapper  # type: ignore[return-value]


@contextmanager
def _ipr() -> Iterator[IPRoute]:
    ipr = IPRoute()
    try:
        yield ipr
    finally:
        ipr.close()


def _index(ipr: IPRoute, ifname: str) -> int:
    found = ipr.link_lookup(ifname=ifname)
    if not found:
        raise NetconfError(errno.ENODEV, f"no interface {ifname!r}")
    return int(found[0])


@off_loop
def link_exists(ifname: str) -> bool:
    with _ipr() as ipr:
        return bool(ipr.link_lookup(ifname=ifname))


@off_loop
def set_link_up(ifname: str, *, mtu: int) -> None:
    """Set the MTU and queue length and bring the link up, as a WireGuard device is: no multicast, no
    IPv6 link-local address (nothing the kernel would send on its own — router solicitations, MLD —
    enters the tunnel, where the peer could only drop it). No undo: the device goes away as a whole."""
    addr_gen_mode = Path(f"/proc/sys/net/ipv6/conf/{ifname}/addr_gen_mode")
    if addr_gen_mode.exists():
        addr_gen_mode.write_text("1\n")  # IN6_ADDR_GEN_MODE_NONE, effective before the link goes up
    with _ipr() as ipr:
        try:
            ipr.link("set", index=_index(ipr, ifname), mtu=mtu, txqlen=TUN_TXQUEUELEN, flags=IFF_UP,
                     change=IFF_UP | IFF_MULTICAST)
        except NetlinkError as exc:
            raise NetconfError(exc.code, f"set {ifname} mtu {mtu} up: {exc}") from exc


IPInterface = ipaddress.IPv4Interface | ipaddress.IPv6Interface


@off_loop
def add_address(undo: UndoStack, ifname: str, interface: IPInterface) -> None:
    """Add `interface` (address/prefix) to `ifname`; undo removes it again."""
    args = {"ifname": ifname, "address": str(interface.ip), "prefixlen": interface.network.prefixlen}
    with _ipr() as ipr:
        try:
            kwargs: dict[str, Any] = {}
            if interface.version == 6:
                kwargs["flags"] = 0x02  # IFA_F_NODAD: the tunnel address is ours alone, use it at once
            ipr.addr("add", index=_index(ipr, ifname), address=args["address"],
                     prefixlen=args["prefixlen"], **kwargs)
        except NetlinkError as exc:
            if exc.code != errno.EEXIST:
                raise NetconfError(exc.code, f"add address {interface} to {ifname}: {exc}") from exc
            return  # already there (we did not add it, so we must not remove it)
    undo.push("address", f"address {interface} on {ifname}", **args)


@undo_handler("address")
@off_loop
def _del_address(ifname: str, address: str, prefixlen: int) -> None:
    with _ipr() as ipr:
        found = ipr.link_lookup(ifname=ifname)
        if not found:
            return
        try:
            ipr.addr("del", index=found[0], address=address, prefixlen=prefixlen)
        except NetlinkError as exc:
            if exc.code not in _GONE:
                raise


@off_loop
def remove_addresses(ifname: str, keep: set[str]) -> None:
    """Remove global addresses of `ifname` not in `keep` (reconnect got a new assignment)."""
    with _ipr() as ipr:
        index = _index(ipr, ifname)
        for msg in ipr.get_addr(index=index):
            address = msg.get_attr("IFA_ADDRESS")
            if msg["scope"] != 0 or f"{address}/{msg['prefixlen']}" in keep:
                continue
            ipr.addr("del", index=index, address=address, prefixlen=msg["prefixlen"])


@dataclass(frozen=True)
class RouteSpec:
    """A route `dst` via device `ifname` in routing table `table` (254 = main); with
    `unreachable=True` an `unreachable` route instead (no device: the kernel answers ENETUNREACH)."""

    dst: str
    ifname: str
    table: int = 254
    unreachable: bool = False

    @property
    def version(self) -> int:
        return ipaddress.ip_network(self.dst).version

    def describe(self) -> str:
        table = "" if self.table == 254 else f" table {self.table}"
        if self.unreachable:
            return f"ip -{self.version} route add unreachable {self.dst}{table}"
        return f"ip -{self.version} route add {self.dst} dev {self.ifname}{table}"


RTN_UNREACHABLE = 7


@off_loop
def add_route(undo: UndoStack, spec: RouteSpec) -> None:
    net = ipaddress.ip_network(spec.dst)
    with _ipr() as ipr:
        try:
            where: dict[str, Any] = ({"type": RTN_UNREACHABLE} if spec.unreachable
                                     else {"oif": _index(ipr, spec.ifname)})
            ipr.route("add", dst=str(net.network_address), dst_len=net.prefixlen, table=spec.table,
                      family=FAMILY[net.version], **where)
        except NetlinkError as exc:
            raise NetconfError(exc.code, f"{spec.describe()}: {exc}") from exc
    undo.push("route", spec.describe().replace(" add ", " del "), dst=spec.dst, ifname=spec.ifname,
              table=spec.table, unreachable=spec.unreachable)


@undo_handler("route")
@off_loop
def _del_route(dst: str, ifname: str, table: int, unreachable: bool = False) -> None:
    net = ipaddress.ip_network(dst)
    with _ipr() as ipr:
        if unreachable:
            where: dict[str, Any] = {"type": RTN_UNREACHABLE}
        else:
            found = ipr.link_lookup(ifname=ifname)
            if not found:
                return  # the device took its routes with it
            where = {"oif": found[0]}
        try:
            ipr.route("del", dst=str(net.network_address), dst_len=net.prefixlen, table=table,
                      family=FAMILY[net.version], **where)
        except NetlinkError as exc:
            if exc.code not in _GONE:
                raise


@dataclass(frozen=True)
class RuleSpec:
    """An `ip rule` (FIB rule). `invert_fwmark` gives wg-quick's `not fwmark M`."""

    priority: int
    version: int
    table: int
    fwmark: int | None = None
    invert_fwmark: bool = False
    suppress_prefixlength: int | None = None
    ip_proto: int | None = None
    dport: tuple[int, int] | None = None
    dst: str | None = None

    def netlink_args(self) -> dict[str, Any]:
        args: dict[str, Any] = {"priority": self.priority, "family": FAMILY[self.version],
                                "table": self.table}
        if self.fwmark is not None:
            args["fwmark"] = self.fwmark
            args["fwmask"] = 0xFFFFFFFF
        if self.invert_fwmark:
            args["flags"] = FIB_RULE_INVERT
        if self.suppress_prefixlength is not None:
            args["suppress_prefixlen"] = self.suppress_prefixlength
        if self.ip_proto is not None:
            args["ip_proto"] = self.ip_proto
        if self.dport is not None:
            args["dport_range"] = f"{self.dport[0]}:{self.dport[1]}"
        if self.dst is not None:
            net = ipaddress.ip_network(self.dst)
            args["dst"] = str(net.network_address)
            args["dst_len"] = net.prefixlen
        return args

    def describe(self) -> str:
        """The equivalent `ip rule add` command (for logs, --dry-run and the docs)."""
        parts = [f"ip -{self.version} rule add"]
        if self.fwmark is not None:
            parts.append(("not " if self.invert_fwmark else "") + f"fwmark {self.fwmark:#x}")
        if self.dst is not None:
            parts.append(f"to {self.dst}")
        if self.ip_proto is not None:
            parts.append(f"ipproto {_PROTO_NAMES.get(self.ip_proto, str(self.ip_proto))}")
        if self.dport is not None:
            low, high = self.dport
            parts.append(f"dport {low}" if low == high else f"dport {low}-{high}")
        parts.append(f"lookup {'main' if self.table == 254 else self.table}")
        if self.suppress_prefixlength is not None:
            parts.append(f"suppress_prefixlength {self.suppress_prefixlength}")
        parts.append(f"priority {self.priority}")
        return " ".join(parts)


_PROTO_NAMES = {socket.IPPROTO_TCP: "tcp", socket.IPPROTO_UDP: "udp"}


@off_loop
def add_rule(undo: UndoStack, spec: RuleSpec) -> None:
    with _ipr() as ipr:
        try:
            ipr.rule("add", **spec.netlink_args())
        except NetlinkError as exc:
            raise NetconfError(exc.code, f"{spec.describe()}: {exc}") from exc
    undo.push("rule", spec.describe().replace(" add ", " del "), **spec.netlink_args())


@undo_handler("rule")
@off_loop
def _del_rule(**args: Any) -> None:
    with _ipr() as ipr:
        try:
            ipr.rule("del", **args)
        except NetlinkError as exc:
            if exc.code not in _GONE:
                raise


@off_loop
def rules_at(priorities: range, version: int) -> list[int]:
    """Priorities in `priorities` that already carry a rule (a sign of another tunnel or a leftover)."""
    with _ipr() as ipr:
        found = []
        for msg in ipr.get_rules(family=FAMILY[version]):
            prio = msg.get_attr("FRA_PRIORITY")
            if prio is not None and prio in priorities:
                found.append(int(prio))
        return found
