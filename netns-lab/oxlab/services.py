"""Services on the `internet` host: an HTTP server with a large random file, UDP echo, and DNS."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from oxlab import shell
from oxlab.shell import Process, ProcessTable
from oxlab.topology import ADDR, Topology

HTTP_PORT = 8080
UDP_ECHO_PORT = 7007
DNS_PORT = 53
LAB_ZONE = {
    "files.lab.test": [ADDR.internet_v4, ADDR.internet_v6],
    "echo.lab.test": [ADDR.internet_v4, ADDR.internet_v6],
    "server.lab.test": [ADDR.server_v4, ADDR.server_v6],
}
DNS_ADDRESSES = (ADDR.internet_v4, ADDR.internet_v6, ADDR.dns_pushed_v4, ADDR.dns_pushed_v6)
SERVICE_LIFETIME_S = 1800.0


@dataclass(frozen=True)
class Blob:
    """A file served over HTTP and the checksum a download must reproduce."""

    path: Path
    size: int
    sha256: str

    @property
    def url_path(self) -> str:
        return "/" + self.path.name


def make_blob(directory: Path, size: int, name: str = "blob.bin") -> Blob:
    """Write `size` random bytes (in 1 MiB chunks) and remember their SHA-256."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    digest = hashlib.sha256()
    with open(path, "wb") as out:
        left = size
        while left:
            chunk = os.urandom(min(left, 1 << 20))
            digest.update(chunk)
            out.write(chunk)
            left -= len(chunk)
    return Blob(path, size, digest.hexdigest())


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


class InternetServices:
    """Starts and watches the servers in the `internet` namespace."""

    def __init__(self, topo: Topology, procs: ProcessTable, workdir: Path) -> None:
        self.topo = topo
        self.procs = procs
        self.workdir = workdir
        self.www = workdir / "www"
        self.dns_log = workdir / "dns-queries.jsonl"
        self.blobs: dict[str, Blob] = {}
        self.running: dict[str, Process] = {}

    def add_blob(self, size: int, name: str) -> Blob:
        blob = make_blob(self.www, size, name)
        self.blobs[name] = blob
        return blob

    def start(self) -> None:
        ns = self.topo.ns["internet"]
        self.www.mkdir(parents=True, exist_ok=True)
        self.running["http"] = self.procs.start(
            "internet-http",
            shell.python_argv("http.server", "--bind", "::", "--directory", str(self.www), str(HTTP_PORT)),
            netns=ns,
        )
        self.running["udp_echo"] = self.procs.start(
            "internet-udp-echo",
            shell.python_argv("oxlab.tools.udp_echo", "serve", "--port", str(UDP_ECHO_PORT),
                              "--bind", ADDR.internet_v4, "--bind", ADDR.internet_v6,
                              "--max-seconds", str(SERVICE_LIFETIME_S)),
            netns=ns,
        )
        records = [f"{name}={addr}" for name, addrs in LAB_ZONE.items() for addr in addrs]
        self.running["dns"] = self.procs.start(
            "internet-dns",
            shell.python_argv("oxlab.tools.dnsd", "--port", str(DNS_PORT), "--log", str(self.dns_log),
                              *[arg for a in DNS_ADDRESSES for arg in ("--bind", a)],
                              "--max-seconds", str(SERVICE_LIFETIME_S),
                              *[arg for rec in records for arg in ("--record", rec)]),
            netns=ns,
        )
        ports = {"http": ("tcp", HTTP_PORT), "udp_echo": ("udp", UDP_ECHO_PORT), "dns": ("udp", DNS_PORT)}
        for name, (proto, port) in ports.items():
            if not shell.wait_until(lambda p=proto, n=port: self._listening(p, n), timeout=10):
                raise RuntimeError(f"{name} did not start: {self.running[name].log_tail()}")

    def _listening(self, proto: str, port: int) -> bool:
        flag = "-ltnH" if proto == "tcp" else "-lunH"
        out = self.topo.run("internet", ["ss", flag, f"sport = :{port}"], check=False).stdout
        return bool(out.strip())

    def dns_queries(self) -> list[dict[str, object]]:

        if not self.dns_log.exists():
            return []
        return [json.loads(line) for line in self.dns_log.read_text().splitlines() if line.strip()]

    def alive(self) -> dict[str, bool]:
        return {name: proc.alive() for name, proc in self.running.items()}
