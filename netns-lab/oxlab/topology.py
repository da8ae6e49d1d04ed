"""The lab topology: client — middlebox — server — internet, plus a rogue host beside the middlebox.

Namespaces are named `oxl-<run id>-<role>` (the run id holds our PID, so concurrent runs never collide
and `oxlab cleanup` can tell leftovers of dead runs from live ones). Veth pairs are created directly
inside their namespaces, so no interface ever appears in the host namespace. Addresses come from the
documentation ranges (RFC 5737 / RFC 3849). Teardown runs from the context manager, from SIGTERM/SIGHUP
handlers, and from atexit; `python -m oxlab cleanup` removes whatever a SIGKILL left behind.
"""

from __future__ import annotations

import atexit
import contextlib
import ipaddress
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from oxlab import shell

PREFIX = "oxl"
NETNS_ETC = Path("/etc/netns")
ROLES = ("client", "middlebox", "server", "internet", "rogue")


@dataclass(frozen=True)
class Link:
    """One veth pair: `a_if` in `a` with `a_v4`/`a_v6`, `b_if` in `b` with `b_v4`/`b_v6` (host/prefix)."""

    a: str
    a_if: str
    a_v4: str
    a_v6: str
    b: str
    b_if: str
    b_v4: str
    b_v6: str
    up_at_start: bool = True

    @staticmethod
    def host(address: str) -> str:
        return address.split("/")[0]


# The address plan: one row per link. The second client link is only addressed when a roaming
# scenario moves the client onto it.
LINKS: tuple[Link, ...] = (
    Link("client", "eth-mbox", "198.51.100.2/26", "2001:db8:c0::2/64",
         "middlebox", "eth-client", "198.51.100.1/26", "2001:db8:c0::1/64"),
    Link("client", "eth-roam", "198.51.100.66/26", "2001:db8:c1::66/64",
         "middlebox", "eth-roam", "198.51.100.65/26", "2001:db8:c1::65/64", up_at_start=False),
    Link("middlebox", "eth-server", "203.0.113.1/26", "2001:db8:5e::1/64",
         "server", "eth-mbox", "203.0.113.2/26", "2001:db8:5e::2/64"),
    Link("server", "eth-inet", "192.0.2.1/26", "2001:db8:1e::1/64",
         "internet", "eth-server", "192.0.2.2/26", "2001:db8:1e::2/64"),
    Link("rogue", "eth-mbox", "198.51.100.130/26", "2001:db8:bad::130/64",
         "middlebox", "eth-rogue", "198.51.100.129/26", "2001:db8:bad::129/64"),
)
# Extra addresses: the internet host also answers as a second DNS server (the one the tunnel server
# pushes), so the test can tell "the resolver the client was told to use" from the initial one.
EXTRA_ADDRESSES: tuple[tuple[str, str, str], ...] = (
    ("internet", "eth-server", "192.0.2.53/26"),
    ("internet", "eth-server", "2001:db8:1e::53/64"),
)
# Static routes (role, destination, gateway): client and rogue reach the server only via the
# middlebox; the middlebox reaches the internet prefix via the server (the provider edge); the server
# reaches the internet directly and everything else via the middlebox.
ROUTES: tuple[tuple[str, str, str], ...] = (
    ("client", "default", "198.51.100.1"),
    ("client", "default", "2001:db8:c0::1"),
    ("rogue", "default", "198.51.100.129"),
    ("rogue", "default", "2001:db8:bad::129"),
    ("middlebox", "192.0.2.0/26", "203.0.113.2"),
    ("middlebox", "2001:db8:1e::/64", "2001:db8:5e::2"),
    ("server", "default", "203.0.113.1"),
    ("server", "default", "2001:db8:5e::1"),
    ("internet", "default", "192.0.2.1"),
    ("internet", "default", "2001:db8:1e::1"),
)
FORWARDING_ROLES = ("middlebox", "server")


@dataclass(frozen=True)
class Addresses:
    """Well-known addresses the scenarios use (no prefix lengths)."""

    client_v4: str = "198.51.100.2"
    client_v6: str = "2001:db8:c0::2"
    client_roam_v4: str = "198.51.100.66"
    client_roam_v6: str = "2001:db8:c1::66"
    client_gw_v4: str = "198.51.100.1"
    client_gw_v6: str = "2001:db8:c0::1"
    client_roam_gw_v4: str = "198.51.100.65"
    client_roam_gw_v6: str = "2001:db8:c1::65"
    server_v4: str = "203.0.113.2"
    server_v6: str = "2001:db8:5e::2"
    server_inet_v4: str = "192.0.2.1"
    server_inet_v6: str = "2001:db8:1e::1"
    internet_v4: str = "192.0.2.2"
    internet_v6: str = "2001:db8:1e::2"
    dns_pushed_v4: str = "192.0.2.53"
    dns_pushed_v6: str = "2001:db8:1e::53"
    rogue_v4: str = "198.51.100.130"
    internet_prefix_v4: str = "192.0.2.0/26"
    internet_prefix_v6: str = "2001:db8:1e::/64"


ADDR = Addresses()


def new_run_id() -> str:
    """`<pid>x<random>`: unique per run, and the PID tells cleanup whether the owner still lives."""
    return f"{os.getpid()}x{secrets.token_hex(2)}"


def owner_pid(netns: str) -> int | None:
    """The PID encoded in one of our namespace names, or None when the name is not ours."""
    parts = netns.split("-")
    if len(parts) < 3 or parts[0] != PREFIX or "x" not in parts[1]:
        return None
    pid = parts[1].split("x", 1)[0]
    return int(pid) if pid.isdigit() else None


def _gateway_role(gateway: str) -> str | None:
    """The role that owns a gateway address (routes via an absent role are skipped)."""
    for link in LINKS:
        ends = ((link.a, link.a_v4), (link.a, link.a_v6), (link.b, link.b_v4), (link.b, link.b_v6))
        for role, address in ends:
            if Link.host(address) == gateway:
                return role
    return None


def _family(address: str) -> str:
    return "-6" if ipaddress.ip_interface(address).version == 6 else "-4"


class Topology:
    """Creates the namespaces, links, addresses and routes; removes all of it on teardown."""

    def __init__(self, run_id: str | None = None, roles: Sequence[str] = ROLES,
                 segment_udp: bool = True) -> None:
        self.run_id = run_id or new_run_id()
        self.segment_udp = segment_udp
        self.roles = tuple(roles)
        self.ns = {role: f"{PREFIX}-{self.run_id}-{role}" for role in self.roles}
        self._created: list[str] = []
        self._torn_down = False
        self._old_handlers: dict[int, object] = {}

    # ---- commands in a role's namespace -------------------------------------------------------
    def run(self, role: str, argv: Sequence[str], *, timeout: float = 30.0, check: bool = True,
            input_text: str | None = None) -> subprocess.CompletedProcess[str]:
        return shell.run(argv, netns=self.ns[role], timeout=timeout, check=check, input_text=input_text)

    def ip(self, role: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run(role, ["ip", *args], check=check)

    def sysctl(self, role: str, key: str, value: str) -> None:
        self.run(role, ["sysctl", "-q", "-w", f"{key}={value}"])

    def resolv_conf(self, role: str) -> Path:
        """The file `ip netns exec` bind-mounts over /etc/resolv.conf inside this role's namespace."""
        return NETNS_ETC / self.ns[role] / "resolv.conf"

    # ---- bring-up ---------------------------------------------------------------------------
    def up(self) -> Topology:
        self._install_teardown_hooks()
        try:
            for role in self.roles:
                self._create_namespace(role)
            for link in LINKS:
                if link.a in self.roles and link.b in self.roles:
                    self._create_link(link)
            for role, dev, address in EXTRA_ADDRESSES:
                if role in self.roles:
                    self.ip(role, "addr", "add", address, "dev", dev, *self._nodad(address))
            for role in FORWARDING_ROLES:
                if role in self.roles:
                    self.sysctl(role, "net.ipv4.ip_forward", "1")
                    self.sysctl(role, "net.ipv6.conf.all.forwarding", "1")
            if "middlebox" in self.roles:
                # The rogue spoofs other hosts' source addresses: let the middlebox pass them, so the
                # server itself has to cope with them.
                self.sysctl("middlebox", "net.ipv4.conf.all.rp_filter", "0")
                self.sysctl("middlebox", "net.ipv4.conf.default.rp_filter", "0")
            for role, dest, gateway in ROUTES:
                if role in self.roles and _gateway_role(gateway) in self.roles:
                    self.ip(role, _family(gateway), "route", "replace", dest, "via", gateway)
        except BaseException:
            self.down()
            raise
        return self

    def _create_namespace(self, role: str) -> None:
        name = self.ns[role]
        shell.run(["ip", "netns", "add", name])
        self._created.append(name)
        etc = NETNS_ETC / name
        etc.mkdir(parents=True, exist_ok=True)
        # A resolver file of its own: a client that rewrites DNS writes here, never the host's file.
        (etc / "resolv.conf").write_text(f"# oxlab {name}\nnameserver {ADDR.internet_v4}\n")
        self.ip(role, "link", "set", "lo", "up")
        self.sysctl(role, "net.ipv6.conf.all.accept_dad", "0")
        self.sysctl(role, "net.ipv6.conf.default.accept_dad", "0")

    @staticmethod
    def _nodad(address: str) -> list[str]:
        return ["nodad"] if ipaddress.ip_interface(address).version == 6 else []

    def _create_link(self, link: Link) -> None:
        shell.run(["ip", "link", "add", link.a_if, "netns", self.ns[link.a], "type", "veth",
                   "peer", "name", link.b_if, "netns", self.ns[link.b]])
        for role, dev in ((link.a, link.a_if), (link.b, link.b_if)) if self.segment_udp else ():
            # A wire carries datagrams, not GSO super-packets: segment UDP before it leaves a host, as a
            # NIC does, so the middlebox counts and drops individual datagrams (veth would pass a GSO
            # skb of up to 64 datagrams through the middlebox as one packet).
            self.run(role, ["ethtool", "-K", dev, "tx-udp-segmentation", "off"])
        self.ip(link.b, "link", "set", link.b_if, "up")
        for address in (link.b_v4, link.b_v6):
            self.ip(link.b, "addr", "add", address, "dev", link.b_if, *self._nodad(address))
        if link.up_at_start:
            self.address_link(link)

    def address_link(self, link: Link) -> None:
        """Bring the `a` end of a link up with its addresses (used at start and when roaming)."""
        self.ip(link.a, "link", "set", link.a_if, "up")
        for address in (link.a_v4, link.a_v6):
            self.ip(link.a, "addr", "replace", address, "dev", link.a_if, *self._nodad(address))

    def link(self, a: str, a_if: str) -> Link:
        for link in LINKS:
            if link.a == a and link.a_if == a_if:
                return link
        raise KeyError(f"no link {a}:{a_if}")

    # ---- teardown ---------------------------------------------------------------------------
    def down(self) -> list[str]:
        """Remove everything this topology created; returns the problems met (never raises)."""
        if self._torn_down:
            return []
        self._torn_down = True
        problems: list[str] = []
        for name in reversed(self._created):
            problems += remove_namespace(name)
        self._created.clear()
        self._restore_handlers()
        return problems

    def _install_teardown_hooks(self) -> None:
        atexit.register(self.down)
        for sig in (signal.SIGTERM, signal.SIGHUP):
            with contextlib.suppress(ValueError):  # not the main thread: atexit still covers us
                self._old_handlers[sig] = signal.signal(sig, _raise_system_exit)

    def _restore_handlers(self) -> None:
        for sig, handler in self._old_handlers.items():
            with contextlib.suppress(ValueError, TypeError):
                signal.signal(sig, handler)  # type: ignore[arg-type]
        self._old_handlers.clear()
        with contextlib.suppress(Exception):
            atexit.unregister(self.down)

    def __enter__(self) -> Topology:
        return self.up()

    def __exit__(self, *exc: object) -> None:
        self.down()


def _raise_system_exit(signum: int, frame: FrameType | None) -> None:
    """Turn SIGTERM/SIGHUP into an exception so that every `finally` and `with` unwinds."""
    raise SystemExit(128 + signum)


def namespace_pids(netns: str) -> list[int]:
    done = shell.run(["ip", "netns", "pids", netns], check=False, timeout=10)
    return [int(tok) for tok in done.stdout.split() if tok.isdigit()]


def remove_namespace(netns: str) -> list[str]:
    """Kill what still runs inside one of our namespaces (by PID), then delete it and its /etc file."""
    problems: list[str] = []
    for sig in (signal.SIGTERM, signal.SIGKILL):
        pids = [pid for pid in namespace_pids(netns) if pid != os.getpid()]
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        if pids and sig == signal.SIGTERM:
            shell.wait_until(lambda: not namespace_pids(netns), timeout=3)
    done = shell.run(["ip", "netns", "del", netns], check=False, timeout=20)
    if done.returncode != 0 and "No such file" not in done.stderr:
        problems.append(f"ip netns del {netns}: {done.stderr.strip()}")
    shutil.rmtree(NETNS_ETC / netns, ignore_errors=True)
    return problems


def list_lab_namespaces() -> list[str]:
    done = shell.run(["ip", "-j", "netns", "list"], check=False, timeout=10)

    try:
        entries = json.loads(done.stdout or "[]")
    except json.JSONDecodeError:
        entries = []
    return [e["name"] for e in entries if str(e.get("name", "")).startswith(f"{PREFIX}-")]


def _pid_alive(pid: int) -> bool:
    """True while the process runs; a killed run that nobody has reaped yet (a zombie) is dead."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def cleanup(all_runs: bool = False, out: object = sys.stdout) -> list[str]:
    """Remove leftovers with our prefix: namespaces and /etc/netns dirs of dead runs (or of all runs)."""
    removed: list[str] = []
    names = set(list_lab_namespaces())
    if NETNS_ETC.is_dir():
        names |= {p.name for p in NETNS_ETC.iterdir() if p.name.startswith(f"{PREFIX}-")}
    for name in sorted(names):
        pid = owner_pid(name)
        if not all_runs and pid is not None and _pid_alive(pid):
            continue
        remove_namespace(name)
        removed.append(name)
    # Work directories of dead runs (keys, configs, captures, the HTTP file): /tmp/oxl-<run id>-*.
    for work in Path(tempfile.gettempdir()).glob(f"{PREFIX}-*"):
        pid = owner_pid(work.name)
        if work.is_dir() and pid is not None and (all_runs or not _pid_alive(pid)):
            shutil.rmtree(work, ignore_errors=True)
            removed.append(str(work))
    wg_dir = Path("/var/run/wireguard")
    if wg_dir.is_dir():
        for sock in wg_dir.glob(f"{PREFIX}*.sock"):
            with contextlib.suppress(OSError):
                sock.unlink()
                removed.append(str(sock))
    for item in removed:
        print(f"removed {item}", file=out)  # type: ignore[call-overload]
    return removed


@contextlib.contextmanager
def topology(run_id: str | None = None, roles: Sequence[str] = ROLES) -> Iterator[Topology]:
    topo = Topology(run_id, roles)
    with topo:
        yield topo
