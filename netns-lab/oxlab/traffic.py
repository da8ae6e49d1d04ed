"""Traffic the scenarios generate from a namespace — ping, curl, the UDP echo probe, name lookups —
each bounded in count and time, each returning the numbers it measured."""

from __future__ import annotations

import json
import re
import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from oxlab import shell
from oxlab.services import HTTP_PORT, UDP_ECHO_PORT, sha256_file
from oxlab.topology import Topology

_PING_SUMMARY = re.compile(r"(\d+) packets transmitted, (\d+) received")
_PING_RTT = re.compile(r"= ([\d.]+)/([\d.]+)/([\d.]+)/([\d.]+) ms")
_PING_EACH = re.compile(r"time=([\d.]+) ms")


@dataclass(frozen=True)
class PingResult:
    sent: int
    received: int
    rtt_avg_ms: float | None
    rtt_max_ms: float | None
    rtt_median_ms: float | None = None

    @property
    def loss_pct(self) -> float:
        return round(100.0 * (self.sent - self.received) / self.sent, 2) if self.sent else 100.0

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "loss_pct": self.loss_pct}


def ping(topo: Topology, role: str, host: str, count: int = 5, interval: float = 0.2,
         deadline_s: float | None = None, size: int | None = None) -> PingResult:
    """ping(8) from a role's namespace; `-w` bounds it in time even when nothing answers."""
    deadline = deadline_s or max(2.0, count * interval + 2.0)
    argv = ["ping", "-n", "-c", str(count), "-i", str(interval), "-w", str(int(deadline + 0.999)),
            "-W", "1"]
    if size is not None:
        argv += ["-s", str(size)]
    argv.append(host)
    done = topo.run(role, argv, timeout=deadline + 10, check=False)
    summary = _PING_SUMMARY.search(done.stdout)
    rtt = _PING_RTT.search(done.stdout)
    if not summary:
        return PingResult(count, 0, None, None)
    each = [float(t) for t in _PING_EACH.findall(done.stdout)]
    return PingResult(int(summary.group(1)), int(summary.group(2)),
                      float(rtt.group(2)) if rtt else None, float(rtt.group(3)) if rtt else None,
                      round(statistics.median(each), 3) if each else None)


def ping_ok(topo: Topology, role: str, host: str) -> bool:
    return ping(topo, role, host, count=1, deadline_s=2).received == 1


@dataclass(frozen=True)
class DownloadResult:
    ok: bool
    bytes: int
    seconds: float
    sha256_ok: bool
    http_code: str
    error: str = ""

    @property
    def mbit_s(self) -> float:
        return round(self.bytes * 8 / self.seconds / 1e6, 1) if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "mbit_s": self.mbit_s}


def http_download(topo: Topology, role: str, host: str, url_path: str, expected_sha256: str,
                  dest: Path, max_seconds: float) -> DownloadResult:
    """curl a file from the internet host and compare its SHA-256; bounded by --max-time."""
    bracket = f"[{host}]" if ":" in host else host
    url = f"http://{bracket}:{HTTP_PORT}{url_path}"
    dest.unlink(missing_ok=True)
    argv = ["curl", "-sS", "-g", "--noproxy", "*", "-o", str(dest), "-w", "%{http_code}",
            "--connect-timeout", "5", "--max-time", str(int(max_seconds)), url]
    started = time.monotonic()
    done = topo.run(role, argv, timeout=max_seconds + 15, check=False)
    seconds = time.monotonic() - started
    size = dest.stat().st_size if dest.exists() else 0
    digest_ok = size > 0 and sha256_file(dest) == expected_sha256
    dest.unlink(missing_ok=True)
    return DownloadResult(done.returncode == 0 and digest_ok, size, round(seconds, 3), digest_ok,
                          done.stdout.strip(), done.stderr.strip()[-300:])


def udp_echo(topo: Topology, role: str, host: str, count: int = 200, size: int = 512,
             interval: float = 0.005, wait: float = 2.0) -> dict[str, object]:
    """Send `count` numbered datagrams to the echo server and count what came back intact."""
    argv = shell.python_argv("oxlab.tools.udp_echo", "probe", host, "--port", str(UDP_ECHO_PORT),
                             "--count", str(count), "--size", str(size), "--interval", str(interval),
                             "--wait", str(wait))
    budget = count * (interval + 0.002) + wait + 20
    done = topo.run(role, argv, timeout=budget, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        return {"sent": count, "received": 0, "error": (done.stderr or done.stdout).strip()[-300:]}
    result: dict[str, object] = json.loads(lines[-1])
    return result


def resolve(topo: Topology, role: str, name: str, family: str = "ahostsv4") -> list[str]:
    """Look a name up through the namespace's own /etc/resolv.conf (glibc, as any program would)."""
    done = topo.run(role, ["getent", family, name], timeout=15, check=False)
    return sorted({line.split()[0] for line in done.stdout.splitlines() if line.strip()})


def capture_argv(interface: str, count: int, path: Path, *bpf: str) -> list[str]:
    """tcpdump writing `count` packets to `path`. --immediate-mode and -U: every packet reaches the
    file at once (otherwise packets still in the kernel ring are lost when we stop it); -Z root: the
    file lives in a root-only directory."""
    return ["tcpdump", "-i", interface, "-U", "--immediate-mode", "-n", "-Z", "root", "-c", str(count),
            "-w", str(path), *bpf]
