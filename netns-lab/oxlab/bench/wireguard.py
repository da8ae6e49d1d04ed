"""wireguard-go between the client and server namespaces, configured with `wg` (userspace TUN)."""

from __future__ import annotations

import base64
import os
from pathlib import Path

from oxlab import shell
from oxlab.shell import Process, ProcessTable
from oxlab.topology import ADDR, PREFIX, Topology

WG_PORT = 51830
WG_NET = "100.64.1.0/24"
WG_SERVER = "100.64.1.1"
WG_CLIENT = "100.64.1.2"
WG_MTU = 1420


class WireguardGo:
    """Two wireguard-go daemons (foreground, so we hold their PIDs) and the routes to use them."""

    def __init__(self, topo: Topology, procs: ProcessTable, workdir: Path) -> None:
        self.topo = topo
        self.procs = procs
        self.dir = workdir / "wireguard"
        suffix = topo.run_id.split("x")[-1]
        # UAPI sockets live in the host's /var/run/wireguard/<ifname>.sock: names must be unique per run.
        self.ifname = {"client": f"{PREFIX}wgc{suffix}", "server": f"{PREFIX}wgs{suffix}"}
        self.daemons: dict[str, Process] = {}

    def _key(self, role: str) -> tuple[Path, str]:
        self.dir.mkdir(parents=True, exist_ok=True)
        path = self.dir / f"{role}.key"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(shell.run(["wg", "genkey"]).stdout.strip() + "\n")
        public = shell.run(["wg", "pubkey"], input_text=path.read_text()).stdout.strip()
        base64.b64decode(public, validate=True)
        return path, public

    def start(self) -> None:
        keys = {role: self._key(role) for role in ("client", "server")}
        for role in ("server", "client"):
            name = self.ifname[role]
            self.daemons[role] = self.procs.start(
                f"wireguard-go-{role}", ["wireguard-go", "-f", name], netns=self.topo.ns[role],
                env={"WG_PROCESS_FOREGROUND": "1", "LOG_LEVEL": "error"})
            if not shell.wait_until(lambda r=role, n=name: self._has_link(r, n), timeout=10):
                raise RuntimeError(f"wireguard-go {role}: no {name}: {self.daemons[role].log_tail()}")
        s_if, c_if = self.ifname["server"], self.ifname["client"]
        self.topo.run("server", ["wg", "set", s_if, "listen-port", str(WG_PORT), "private-key",
                                 str(keys["server"][0]), "peer", keys["client"][1], "allowed-ips",
                                 f"{WG_CLIENT}/32"])
        self.topo.run("client", ["wg", "set", c_if, "private-key", str(keys["client"][0]), "peer",
                                 keys["server"][1], "allowed-ips",
                                 f"{WG_SERVER}/32,{ADDR.internet_prefix_v4}",
                                 "endpoint", f"{ADDR.server_v4}:{WG_PORT}"])
        for role, ifname, address in (("server", s_if, WG_SERVER), ("client", c_if, WG_CLIENT)):
            self.topo.ip(role, "addr", "add", f"{address}/24", "dev", ifname)
            self.topo.ip(role, "link", "set", ifname, "mtu", str(WG_MTU), "up")
        # The client sends the internet prefix into the tunnel; the internet host routes replies for
        # the tunnel network back via the server, which forwards them into wg (no NAT needed).
        self.topo.ip("client", "route", "replace", ADDR.internet_prefix_v4, "dev", c_if, "src", WG_CLIENT)
        self.topo.ip("internet", "route", "replace", WG_NET, "via", ADDR.server_inet_v4)

    def _has_link(self, role: str, name: str) -> bool:
        if not self.daemons[role].alive():
            raise RuntimeError(f"wireguard-go exited: {self.daemons[role].log_tail()}")
        return self.topo.ip(role, "link", "show", name, check=False).returncode == 0

    def pids(self) -> list[int]:
        return [p.pid for p in self.daemons.values() if p.alive()]

    def stop(self) -> None:
        self.topo.ip("client", "route", "del", ADDR.internet_prefix_v4, "dev", self.ifname["client"],
                     check=False)
        self.topo.ip("internet", "route", "del", WG_NET, check=False)
        for proc in self.daemons.values():
            proc.stop(grace=5)
            self.procs.forget(proc)
        self.daemons.clear()
