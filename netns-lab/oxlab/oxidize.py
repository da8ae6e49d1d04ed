"""Driving OxTunnel from outside, as a user would: the `oxidize` CLI as processes in the namespaces.

The lab never imports the implementation: it runs `oxidize keygen`, `oxidize genconfig`,
`oxidize server -c`, `oxidize up -c`, `oxidize status --json`, and reads the server's Prometheus
metrics over HTTP on its loopback, all inside the namespaces.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oxlab import shell
from oxlab.shell import CommandError, Process, ProcessTable
from oxlab.topology import ADDR, Topology

TUN_NAME = "oxtun0"
SERVER_TUN_NAME = "oxs0"
METRICS_PORT = 9851
POOL_V4 = "10.77.0.0/24"  # exists only inside the tunnel and the server namespace
POOL_V6 = "fd77:6f78::/64"
# Runtimes the lab can drive, and the client.toml settings that select each: `udp` is the default
# (`transport = "auto"`: UDP first, falling back to QUIC and TCP); the others force one transport.
RUNTIMES: dict[str, dict[str, str]] = {
    "udp": {},
    "quic": {"transport": '"quic"'},
    "masque": {"transport": '"masque"'},
    "tcp": {"transport": '"tcp"'},
}
QUIC_PORT = 51822
TCP_PORT = 51821
# A bearer token for the lab's own MASQUE test client (oxlab.masque_client); the server gets its SHA-256.
MASQUE_TOKEN = "oxlab-masque-token"
# The client's transport fallback, faster than the defaults so the fallback scenarios fit their budget
# (defaults: dead_after 12 s, probe_interval 30 s, probe_window 3 s).
FALLBACK_TOML = "[fallback]\ndead_after = 6\nprobe_interval = 5\nprobe_window = 2\n"
_METRIC_LINE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+([-+0-9.eEinfNa]+)")


def oxidize_argv(*args: str) -> list[str]:
    """The `oxidize` console script beside our interpreter (the project's venv), or $OXLAB_OXIDIZE
    (to run the lab against another build)."""
    override = os.environ.get("OXLAB_OXIDIZE")
    if override:
        return [override, *args]
    script = Path(sys.executable).with_name("oxidize")
    exe = str(script) if script.exists() else (shutil.which("oxidize") or "oxidize")
    return [exe, *args]


@dataclass(frozen=True)
class TunnelAddresses:
    v4: str | None
    v6: str | None


def parse_metrics(text: str) -> dict[str, float]:
    """Prometheus text format → {"name{labels}": value}."""
    found: dict[str, float] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = _METRIC_LINE.match(line)
        if match:
            name, labels, value = match.groups()
            try:
                found[name + (labels or "")] = float(value)
            except ValueError:
                continue
    return found


def sum_matching(metrics: dict[str, float], word: str) -> float:
    """Sum of every sample whose name contains `word` (e.g. all drop counters, whatever the reason)."""
    return sum(v for k, v in metrics.items() if word in k.split("{")[0] and not k.endswith("_created"))


class OxidizeLab:
    """One OxTunnel server (in `server`) and one client (in `client`), configured through the CLI."""

    def __init__(self, topo: Topology, procs: ProcessTable, workdir: Path, runtime: str = "udp",
                 cipher: str | None = None, udp_only: bool = False) -> None:
        self.topo = topo
        self.cipher = cipher  # `cipher` in both server.toml and client.toml; None: the default
        # a UDP-only server ([quic] and [tcp] off): no QUIC path to fit, so the full tunnel MTU (1420)
        self.udp_only = udp_only
        self.procs = procs
        if runtime not in RUNTIMES:
            raise ValueError(f"runtime {runtime!r}: the lab knows {', '.join(RUNTIMES)}")
        self.runtime = runtime
        self.dir = workdir / "oxidize"
        self.server_conf = self.dir / "server.toml"
        self.client_conf = self.dir / "client.toml"
        # State (control sockets, undo files) per run: /run/oxidize is shared by every namespace.
        self.state_dir = {"server": self.dir / "state-server", "client": self.dir / "state-client"}
        self.interface = {"server": SERVER_TUN_NAME, "client": TUN_NAME}
        self.server: Process | None = None
        self.client: Process | None = None
        self.server_starts = 0

    # ---- configuration through the CLI ------------------------------------------------------
    def cli(self, role: str, *args: str, timeout: float = 30.0) -> str:
        return self.topo.run(role, oxidize_argv(*args), timeout=timeout).stdout

    def prepare(self) -> None:
        """Keys and configs, as the README's quick start does it."""
        self.dir.mkdir(parents=True, exist_ok=True)
        key = self.dir / "server.key"
        self.cli("server", "keygen", str(key))
        self.server_conf.write_text(self.server_toml(key))
        self.cli("server", "genconfig", "-c", str(self.server_conf), "lab-client",
                 "-o", str(self.client_conf), "--png", str(self.dir / "lab-client.png"), "--no-qr")
        self.client_conf.write_text(self._with_lab_settings(self.client_conf.read_text()))

    def server_toml(self, key: Path) -> str:
        return (
            "[server]\n"
            f'private_key_file = "{key}"\n'
            'listen = "[::]:51820"\n'
            f'endpoint = "{ADDR.server_v4}:51820"\n'
            f'ipv4_pool = "{POOL_V4}"\n'
            f'ipv6_pool = "{POOL_V6}"\n'
            f'dns = ["{ADDR.dns_pushed_v4}"]\n'
            f'metrics = "127.0.0.1:{METRICS_PORT}"\n'
            f'state_dir = "{self.state_dir["server"]}"\n'
            + (f'cipher = "{self.cipher}"\n' if self.cipher else "")
            + ("[quic]\nenabled = false\n[tcp]\nenabled = false\n" if self.udp_only else
               "[masque]\n"
               f'token_sha256 = ["{hashlib.sha256(MASQUE_TOKEN.encode()).hexdigest()}"]\n')
        )

    def _with_lab_settings(self, text: str) -> str:
        """genconfig's client.toml plus the lab's state_dir and resolver file, in its [client] table
        (the namespace's own /etc/netns/<ns>/resolv.conf, so the host's file is never written)."""
        extra = (f'state_dir = "{self.state_dir["client"]}"\n'
                 f'resolv_conf = "{self.topo.resolv_conf("client")}"\n'
                 + (f'cipher = "{self.cipher}"\n' if self.cipher else "")
                 + "".join(f"{key} = {value}\n" for key, value in RUNTIMES[self.runtime].items()))
        lines = text.splitlines(keepends=True)
        for i, line in enumerate(lines):
            if line.strip() == "[client]":
                return "".join(lines[: i + 1]) + extra + "".join(lines[i + 1:]) + FALLBACK_TOML
        raise RuntimeError(f"oxidize genconfig wrote no [client] table: {text[:300]}")

    # ---- processes --------------------------------------------------------------------------
    def start_server(self, wait_s: float = 15.0) -> Process:
        self.server_starts += 1
        self.server = self.procs.start(f"oxidize-server-{self.server_starts}",
                                       oxidize_argv("server", "-c", str(self.server_conf)),
                                       netns=self.topo.ns["server"])
        if not shell.wait_until(self._server_listening, timeout=wait_s):
            raise RuntimeError(f"oxidize server did not listen on UDP 51820: {self.server.log_tail()}")
        return self.server

    def _server_listening(self) -> bool:
        if self.server is None or not self.server.alive():
            raise RuntimeError(f"oxidize server exited: {self.server.log_tail() if self.server else ''}")
        out = self.topo.run("server", ["ss", "-lunH", "sport = :51820"], check=False).stdout
        return bool(out.strip())

    def stop_server(self) -> int | None:
        if self.server is None:
            return None
        code = self.server.stop(grace=10)
        self.procs.forget(self.server)
        return code

    def start_client(self, wait_s: float = 20.0) -> Process:
        self.client = self.procs.start("oxidize-client", oxidize_argv("up", "-c", str(self.client_conf)),
                                       netns=self.topo.ns["client"])
        if not shell.wait_until(self._client_up, timeout=wait_s):
            raise RuntimeError(f"oxidize up: not connected after {wait_s:.0f} s: {self.client.log_tail()}")
        return self.client

    def _client_up(self) -> bool:
        """Connected per `oxidize status` (addresses come a moment before routes, rules and DNS)."""
        if self.client is None or not self.client.alive():
            raise RuntimeError(f"oxidize up exited: {self.client.log_tail() if self.client else ''}")
        return self.status("client").get("state") == "connected"

    def stop_client(self) -> int | None:
        if self.client is None:
            return None
        code = self.client.stop(grace=10)
        self.procs.forget(self.client)
        return code

    # ---- observation ------------------------------------------------------------------------
    def tunnel_addresses(self, role: str = "client") -> TunnelAddresses:
        done = self.topo.run(role, ["ip", "-j", "addr", "show", "dev", TUN_NAME], check=False)
        if done.returncode != 0:
            return TunnelAddresses(None, None)
        v4 = v6 = None
        for link in json.loads(done.stdout or "[]"):
            for info in link.get("addr_info", []):
                if info.get("scope") == "link":
                    continue
                if info.get("family") == "inet" and v4 is None:
                    v4 = info["local"]
                elif info.get("family") == "inet6" and v6 is None:
                    v6 = info["local"]
        return TunnelAddresses(v4, v6)

    def status(self, role: str = "client") -> dict[str, Any]:
        """`oxidize status --json` for the role's instance (the document of README "CLI")."""
        out = self.cli(role, "status", "--json", "--state-dir", str(self.state_dir[role]),
                       "-i", self.interface[role], timeout=15)
        data = json.loads(out)
        if isinstance(data, list):
            mine = [d for d in data if d.get("interface") == self.interface[role]]
            data = (mine or data or [{}])[0]
        if not isinstance(data, dict):
            raise RuntimeError(f"oxidize status --json: not an object: {out[:200]}")
        return data

    def handshake_marker(self, status: dict[str, Any]) -> tuple[Any, ...]:
        """The peers' handshake counts and latest-handshake times: unchanged means no new handshake."""
        return tuple((peer.get("handshakes"), peer.get("last_handshake")) for peer in status.get("peers", []))

    def handshake_summary(self, status: dict[str, Any]) -> str:
        return json.dumps({k: v for k, v in _walk(status) if "handshake" in k or "endpoint" in k})[:400]

    def peer_endpoints(self, status: dict[str, Any]) -> list[str]:
        return status_endpoints(status)

    def metrics(self) -> dict[str, float]:
        done = self.topo.run("server", ["curl", "-sS", "--max-time", "5", "--noproxy", "*",
                                        f"http://127.0.0.1:{METRICS_PORT}/metrics"], check=False)
        if done.returncode != 0:
            raise CommandError(["curl", "metrics"], done.returncode, done.stdout, done.stderr)
        return parse_metrics(done.stdout)

    def client_setting(self, key: str) -> Any:
        """A value of the client.toml's [client] table as genconfig wrote it (e.g. quic_spki_sha256)."""
        with open(self.client_conf, "rb") as f:
            return tomllib.load(f).get("client", {}).get(key)

    def transport(self) -> str | None:
        """The transport the client uses now, per `oxidize status` (None when it cannot tell)."""
        try:
            return self.status("client").get("transport")
        except (CommandError, ValueError, RuntimeError):
            return None

    def wait_transport(self, wanted: str, timeout: float) -> float | None:
        """Seconds until the client reports `wanted` as its transport, or None."""
        started = time.monotonic()
        if shell.wait_until(lambda: self.transport() == wanted, timeout=timeout, interval=0.3):
            return round(time.monotonic() - started, 3)
        return None

    def wait_traffic(self, host: str, timeout: float) -> float | None:
        """Seconds until one ping to `host` through the tunnel answers, or None."""
        from oxlab.traffic import ping_ok

        started = time.monotonic()
        if shell.wait_until(lambda: ping_ok(self.topo, "client", host), timeout=timeout, interval=0.3):
            return round(time.monotonic() - started, 3)
        return None


def _walk(value: Any, path: str = "") -> list[tuple[str, Any]]:
    """Every (dotted path, leaf) in a JSON document."""
    if isinstance(value, dict):
        return [item for key, sub in value.items() for item in _walk(sub, f"{path}.{key}" if path else key)]
    if isinstance(value, list):
        return [item for i, sub in enumerate(value) for item in _walk(sub, f"{path}[{i}]")]
    return [(path, value)]


def status_endpoints(status: dict[str, Any]) -> list[str]:
    return [str(v) for k, v in _walk(status) if k.rsplit(".", 1)[-1] in ENDPOINT_KEYS and v]


ENDPOINT_KEYS = {"endpoint", "remote", "peer_address"}
