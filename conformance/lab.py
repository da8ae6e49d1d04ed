"""A namespace lab for running the suite against our own server (``oxidize server``), as root.

Topology (names carry the ``oxc-`` prefix and a random suffix; everything is removed on exit)::

    peer ns  p0 10.201.0.2/24 (+ .10, .11 as flood sources)
        |  veth
    server ns  s0 10.201.0.1/24   s1 10.202.0.1/24   default route -> observer
                                       |  veth
    observer ns  o0 10.202.0.2/24  (answers ICMP echo; a scapy sniffer watches o0)

The server's default route points at the observer, so anything the server forwards — legitimately or
not, whatever its destination — crosses o0 and is seen. ``net.ipv4.conf.all.route_localnet=1`` in the
server namespace lifts the kernel's own refusal of 127/8 on non-loopback interfaces, so FWD-004 tests the
implementation's destination policy rather than the kernel's martian filter. The server is started
through its CLI only (``python -m oxidize server -c server.toml``); the suite itself then runs inside the
peer namespace, talking to it over the veth.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from conformance.v3 import handshake as hs

PEER_IP, SERVER_IP, SERVER_INNER_IP, OBSERVER_IP = "10.201.0.2", "10.201.0.1", "10.202.0.1", "10.202.0.2"
FLOOD_SOURCES = ("10.201.0.10", "10.201.0.11")
POOL_V4 = "10.203.0.0/24"
POOL_V6 = "fd77:6f78:c0::/64"
SERVER_INNER_IP6, OBSERVER_IP6 = "fd02:201::1", "fd02:201::2"
MASQUE_TOKEN = b"oxc-conformance-token"
# transport -> server.toml (section, {key: TOML value}); keys marked optional are tuning the lab may drop
# when the server does not know them (an older or newer oxidize); an unknown *section* means the server
# does not offer that transport, which the suite then reports as "transport not offered by target"
TRANSPORT_CONFIG: dict[str, list[tuple[str, dict[str, str], frozenset[str]]]] = {
    "udp": [("server", {"listen": f'"{SERVER_IP}:51820"'}, frozenset())],
    "tcp": [
        (
            "tcp",
            {"listen": f'"{SERVER_IP}:51821"', "first_frame_timeout": "3"},
            frozenset({"first_frame_timeout"}),
        )
    ],
    "quic": [
        ("quic", {"listen": f'"{SERVER_IP}:51822"'}, frozenset()),
        (
            "masque",
            {
                "token_sha256": f'["{hashlib.sha256(MASQUE_TOKEN).hexdigest()}"]',
                "interface": '"oxcm0"',
                "ipv6_pool": '""',
            },
            frozenset({"interface", "ipv6_pool"}),
        ),
    ],
}
LISTEN_CHECKS = {
    "udp": ("-Hlun", "sport = :51820"),
    "tcp": ("-Hltn", "sport = :51821"),
    "quic": ("-Hlun", "sport = :51822"),
}


class LabError(RuntimeError):
    """The lab could not be built or the server did not start; the message says which step."""


def _run(cmd: Sequence[str], check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(list(cmd), capture_output=True, text=True, timeout=30)
    if check and proc.returncode != 0:
        raise LabError(f"`{' '.join(cmd)}` failed: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc


def _ns(ns: str, *cmd: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return _run(["ip", "netns", "exec", ns, *cmd], check=check)


def require_root() -> None:
    if os.geteuid() != 0:
        raise LabError("the lab needs root (network namespaces, TUN, nftables)")
    for tool in ("ip", "ss"):
        if shutil.which(tool) is None:
            raise LabError(f"`{tool}` is not installed (scripts/bootstrap.sh installs iproute2)")


@dataclass
class Lab:
    """Three namespaces joined by two veth pairs."""

    suffix: str = field(default_factory=lambda: f"{os.getpid() % 100000}{secrets.token_hex(2)}")
    created: list[str] = field(default_factory=list)

    @property
    def peer(self) -> str:
        return f"oxc-p-{self.suffix}"

    @property
    def server(self) -> str:
        return f"oxc-s-{self.suffix}"

    @property
    def observer(self) -> str:
        return f"oxc-o-{self.suffix}"

    def up(self) -> None:
        require_root()
        for ns in (self.peer, self.server, self.observer):
            _run(["ip", "netns", "add", ns])
            self.created.append(ns)
            _ns(ns, "ip", "link", "set", "lo", "up")
        _run(
            [
                "ip",
                "link",
                "add",
                "p0",
                "netns",
                self.peer,
                "type",
                "veth",
                "peer",
                "name",
                "s0",
                "netns",
                self.server,
            ]
        )
        _run(
            [
                "ip",
                "link",
                "add",
                "s1",
                "netns",
                self.server,
                "type",
                "veth",
                "peer",
                "name",
                "o0",
                "netns",
                self.observer,
            ]
        )
        for address in (f"{PEER_IP}/24", *(f"{a}/24" for a in FLOOD_SOURCES)):
            _ns(self.peer, "ip", "addr", "add", address, "dev", "p0")
        _ns(self.server, "ip", "addr", "add", f"{SERVER_IP}/24", "dev", "s0")
        _ns(self.server, "ip", "addr", "add", f"{SERVER_INNER_IP}/24", "dev", "s1")
        _ns(self.observer, "ip", "addr", "add", f"{OBSERVER_IP}/24", "dev", "o0")
        _ns(self.server, "ip", "-6", "addr", "add", f"{SERVER_INNER_IP6}/64", "dev", "s1", "nodad")
        _ns(self.observer, "ip", "-6", "addr", "add", f"{OBSERVER_IP6}/64", "dev", "o0", "nodad")
        for ns, dev in ((self.peer, "p0"), (self.server, "s0"), (self.server, "s1"), (self.observer, "o0")):
            _ns(ns, "ip", "link", "set", dev, "up")
        _ns(self.server, "ip", "route", "add", "default", "via", OBSERVER_IP)
        _ns(self.observer, "ip", "route", "add", "default", "via", SERVER_INNER_IP)
        _ns(self.server, "ip", "-6", "route", "add", "default", "via", OBSERVER_IP6)
        _ns(self.observer, "ip", "-6", "route", "add", "default", "via", SERVER_INNER_IP6)
        _ns(self.server, "sysctl", "-qw", "net.ipv4.conf.all.route_localnet=1")

    def down(self) -> None:
        for ns in reversed(self.created):
            _run(["ip", "netns", "del", ns], check=False)
        self.created.clear()


@dataclass
class OxidizeServer:
    """``oxidize server`` in the lab's server namespace, configured for the suite."""

    lab: Lab
    workdir: Path
    transports: tuple[str, ...] = ("udp",)
    client_keys: tuple[bytes, ...] = field(
        default_factory=lambda: (hs.random_private_key(), hs.random_private_key())
    )
    server_key: bytes = field(default_factory=hs.random_private_key)
    extra_config: dict[str, str] = field(default_factory=dict)  # raw TOML values for [server] (tests)
    dropped: set[str] = field(default_factory=set)  # tuning keys the server did not know
    proc: subprocess.Popen[bytes] | None = None

    def _write_key(self, name: str, key: bytes) -> Path:
        path = self.workdir / name
        path.write_text(base64.b64encode(key).decode() + "\n")
        path.chmod(0o600)
        return path

    def config_text(self) -> str:
        sections: dict[str, list[str]] = {
            "server": [
                'private_key_file = "server.key"',
                'interface = "oxcs0"',
                f'ipv4_pool = "{POOL_V4}"',
                f'ipv6_pool = "{POOL_V6}"',
                'routes = ["0.0.0.0/0", "::/0"]',
                'metrics = ""',
                f'nftables_table = "oxc{self.lab.suffix}"',
                f'state_dir = "{self.workdir / "state"}"',
            ]
        }
        for transport in self.transports:
            for section, keys, _ in TRANSPORT_CONFIG[transport]:
                sections.setdefault(section, []).extend(
                    f"{key} = {value}"
                    for key, value in keys.items()
                    if f"{section}.{key}" not in self.dropped
                )
        sections["server"] += [f"{key} = {value}" for key, value in self.extra_config.items()]
        lines: list[str] = []
        for section, body in sections.items():
            lines += [f"[{section}]", *body, ""]
        for i, key in enumerate(self.client_keys):
            lines += [
                "[[peers]]",
                f'name = "suite{i}"',
                f'public_key = "{base64.b64encode(hs.public_key(key)).decode()}"',
                "",
            ]
        return "\n".join(lines)

    def _adapt(self, errors: str) -> bool:
        """Drop what the server's config validator refused, if it is ours to drop; True if anything was."""
        changed = False
        for transport in list(self.transports):
            for section, _, optional in TRANSPORT_CONFIG[transport]:
                if f"[{section}]: unknown section" in errors and transport != "udp":
                    self.transports = tuple(t for t in self.transports if t != transport)
                    changed = True
                for key in optional:
                    if f"{section}.{key}:" in errors and f"{section}.{key}" not in self.dropped:
                        self.dropped.add(f"{section}.{key}")
                        changed = True
        return changed

    def start(self, ready_timeout: float = 30.0) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._write_key("server.key", self.server_key)
        for i, key in enumerate(self.client_keys):
            self._write_key(f"client{i}.key", key)
        (self.workdir / "masque.token").write_text(MASQUE_TOKEN.decode() + "\n")
        (self.workdir / "server.toml").write_text(self.config_text())
        log = (self.workdir / "server.log").open("wb")
        self.proc = subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                self.lab.server,
                sys.executable,
                "-m",
                "oxidize",
                "-v",
                "server",
                "-c",
                str(self.workdir / "server.toml"),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                if self._adapt(self.log_tail(40)):  # a config error about a transport we may drop
                    self.proc = None
                    self.start(max(5.0, deadline - time.monotonic()))
                    return
                raise LabError(f"oxidize server exited with {self.proc.returncode}: {self.log_tail()}")
            if all(
                _ns(
                    self.lab.server, "ss", LISTEN_CHECKS[t][0], LISTEN_CHECKS[t][1], check=False
                ).stdout.strip()
                for t in self.transports
            ):
                time.sleep(0.3)  # the TUN and nftables steps come before the sockets are served
                return
            time.sleep(0.2)
        raise LabError(
            f"oxidize server did not listen on {', '.join(self.transports)} within "
            f"{ready_timeout:.0f} s: {self.log_tail()}"
        )

    def log_tail(self, lines: int = 15) -> str:
        path = self.workdir / "server.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return " | ".join(text.strip().splitlines()[-lines:])

    def stop(self) -> int | None:
        proc, self.proc = self.proc, None
        if proc is None:
            return None
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        return proc.returncode

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def target_toml(self, name: str = "oxidize-lab", timing: dict[str, float] | None = None) -> str:
        timing = {
            "reply_timeout": 1.5,
            "silence_window": 0.25,
            "flood_packets": 600,
            "flood_seconds": 2.0,
            "keepalive_wait_max": 15,
            "tcp_idle_wait": 13 if "tcp.first_frame_timeout" in self.dropped else 6,
            **(timing or {}),
        }
        files = ", ".join(f'"client{i}.key"' for i in range(len(self.client_keys)))
        lines = [
            f'name = "{name}"',
            'profile = "v3"',
            f'address = "{SERVER_IP}"',
            f"transports = [{', '.join(repr(t).replace(chr(39), chr(34)) for t in self.transports)}]",
            f'server_public_key = "{base64.b64encode(hs.public_key(self.server_key)).decode()}"',
            f"client_private_key_files = [{files}]",
            f"source_addresses = [{', '.join(chr(34) + a + chr(34) for a in FLOOD_SOURCES)}]",
            "",
            "[masque]",
            'token_file = "masque.token"',
            "",
            "[observer]",
            f'address = "{OBSERVER_IP}"',
            "port = 9",
            'mode = "sniff"',
            f'netns = "{self.lab.observer}"',
            'interface = "o0"',
            "",
            "[echo]",
            f'address = "{OBSERVER_IP}"',
            f'address6 = "{OBSERVER_IP6}"',
            'protocol = "icmp"',
            "",
            "[timing]",
            *(f"{k} = {v}" for k, v in timing.items()),
        ]
        return "\n".join(lines) + "\n"


@contextlib.contextmanager
def our_server(
    transports: Sequence[str] = ("udp",),
    workdir: Path | None = None,
    extra_config: dict[str, str] | None = None,
) -> Iterator[OxidizeServer]:
    """Lab up, ``oxidize server`` running; everything torn down afterwards, even on errors."""
    lab = Lab()
    owned = workdir is None
    work = workdir or Path(tempfile.mkdtemp(prefix="oxc-lab-"))
    offered = tuple(t for t in transports if t in TRANSPORT_CONFIG)
    server = OxidizeServer(lab, work, offered, extra_config=dict(extra_config or {}))
    try:
        lab.up()
        server.start()
        yield server
    finally:
        server.stop()
        lab.down()
        if owned:
            shutil.rmtree(work, ignore_errors=True)


def run_suite_in_peer(
    server: OxidizeServer, report_dir: Path, extra: Sequence[str] = (), timing: dict[str, float] | None = None
) -> int:
    """Run ``python -m conformance`` inside the peer namespace against the lab target; its exit status."""
    target = server.workdir / "target.toml"
    target.write_text(server.target_toml(timing=timing))
    cmd = [
        "ip",
        "netns",
        "exec",
        server.lab.peer,
        sys.executable,
        "-m",
        "conformance",
        "--target",
        str(target),
        "--report-dir",
        str(report_dir),
        *extra,
    ]
    return subprocess.run(cmd, check=False).returncode
