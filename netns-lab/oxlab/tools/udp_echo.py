"""UDP echo server and a bounded probe client (`python -m oxlab.tools.udp_echo serve|probe`).

The probe sends `count` numbered datagrams at a fixed pace and prints one JSON line with how many came
back intact, the round-trip times and how many were corrupted, so scenarios get numbers, not a yes/no.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import select
import socket
import statistics
import struct
import sys
import time

from oxlab.tools.sockets import bind_udp, serve_udp

_PROBE = struct.Struct("!IQ")  # sequence number, send time in ns


def serve(addresses: list[str], port: int, max_seconds: float) -> int:
    socks = bind_udp(addresses, port)
    echoed = 0

    def echo(sock: socket.socket, data: bytes, addr: tuple[str, int]) -> None:
        nonlocal echoed
        sock.sendto(data, addr)
        echoed += 1

    print(f"udp echo on {addresses} port {port}", flush=True)
    serve_udp(socks, echo, max_seconds)
    print(f"echoed {echoed} datagrams", flush=True)
    return 0


def _wait_readable(sock: socket.socket, timeout: float) -> None:
    select.select([sock], [], [], max(0.0, timeout))


def probe(host: str, port: int, count: int, size: int, interval: float, wait: float) -> dict[str, object]:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.connect((host, port))
    sock.setblocking(False)
    filler = os.urandom(max(0, size - _PROBE.size))
    rtts: list[float] = []
    seen: set[int] = set()
    corrupted = 0

    def drain() -> None:
        nonlocal corrupted
        while True:
            try:
                data = sock.recv(65535)
            except (BlockingIOError, ConnectionRefusedError):
                return
            if len(data) != _PROBE.size + len(filler) or data[_PROBE.size:] != filler:
                corrupted += 1
                continue
            seq, sent_ns = _PROBE.unpack_from(data)
            if seq not in seen:
                seen.add(seq)
                rtts.append((time.monotonic_ns() - sent_ns) / 1e6)

    for seq in range(count):
        with contextlib.suppress(ConnectionRefusedError, OSError):
            sock.send(_PROBE.pack(seq, time.monotonic_ns()) + filler)
        _wait_readable(sock, interval)
        drain()
    deadline = time.monotonic() + wait
    while len(seen) < count and (left := deadline - time.monotonic()) > 0:
        _wait_readable(sock, min(left, 0.05))
        drain()
    return {
        "sent": count,
        "received": len(seen),
        "corrupted": corrupted,
        "loss_pct": round(100.0 * (count - len(seen)) / count, 2) if count else 0.0,
        "rtt_ms_median": round(statistics.median(rtts), 3) if rtts else None,
        "rtt_ms_max": round(max(rtts), 3) if rtts else None,
        "size": _PROBE.size + len(filler),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--port", type=int, default=7007)
    s.add_argument("--bind", action="append", required=True, help="address to serve on (repeatable)")
    s.add_argument("--max-seconds", type=float, default=900.0)
    p = sub.add_parser("probe")
    p.add_argument("host")
    p.add_argument("--port", type=int, default=7007)
    p.add_argument("--count", type=int, default=200)
    p.add_argument("--size", type=int, default=512)
    p.add_argument("--interval", type=float, default=0.005)
    p.add_argument("--wait", type=float, default=2.0)
    args = parser.parse_args(argv)
    if args.cmd == "serve":
        return serve(args.bind, args.port, args.max_seconds)
    if not 1 <= args.count <= 100_000:
        print("probe: --count must be 1..100000", file=sys.stderr)
        return 2
    print(json.dumps(probe(args.host, args.port, args.count, args.size, args.interval, args.wait)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
