"""Measurements for the benchmark: iperf3 (TCP 1 and 4 streams, UDP), ping RTT, CPU from /proc."""

from __future__ import annotations

import json
import os
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from oxlab.topology import Topology

IPERF_PORT = 5201
_CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class IperfResult:
    gbps: float
    loss_pct: float | None
    retransmits: int | None
    host_cpu_pct: float | None


def iperf3(topo: Topology, host: str, seconds: int, streams: int = 1, udp: bool = False) -> IperfResult:
    """One iperf3 test from the client to the internet host; bounded by its own -t plus a margin."""
    argv = ["iperf3", "-c", host, "-p", str(IPERF_PORT), "-t", str(seconds), "-J", "-P", str(streams),
            "--connect-timeout", "3000"]
    if udp:
        argv += ["-u", "-b", "0", "-l", "1200"]
    done = topo.run("client", argv, timeout=seconds + 25, check=False)
    try:
        data = json.loads(done.stdout)
    except json.JSONDecodeError:
        raise RuntimeError(f"iperf3 gave no JSON: {done.stderr.strip()[-300:]}") from None
    if "error" in data:
        raise RuntimeError(f"iperf3: {data['error']}")
    end = data["end"]
    cpu = end.get("cpu_utilization_percent", {}).get("host_total")
    if udp:
        total = end["sum"]
        received = end.get("sum_received", total)
        return IperfResult(round(received["bits_per_second"] / 1e9, 4),
                           round(float(total.get("lost_percent", 0.0)), 2), None, cpu)
    return IperfResult(round(end["sum_received"]["bits_per_second"] / 1e9, 4), None,
                       end.get("sum_sent", {}).get("retransmits"), cpu)


_RTT = re.compile(r"time=([\d.]+) ms")


def ping_rtt_ms(topo: Topology, host: str, count: int = 20) -> float | None:
    """Median of `count` ping RTTs at 50 ms spacing (bounded by -w)."""
    done = topo.run("client", ["ping", "-n", "-c", str(count), "-i", "0.05", "-w", str(count // 10 + 5),
                               host], timeout=count + 15, check=False)
    rtts = [float(m) for m in _RTT.findall(done.stdout)]
    return round(statistics.median(rtts), 4) if rtts else None


def cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU seconds of the processes (all their threads) so far, from /proc/<pid>/stat."""
    total = 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / _CLK_TCK  # utime, stime (fields 14, 15)
    return total


def median(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(statistics.median(present), 4) if present else None
