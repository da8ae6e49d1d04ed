"""A tiny authoritative DNS server for the lab zone (`python -m oxlab.tools.dnsd`).

Answers A and AAAA for the names given with `--record NAME=ADDRESS` over UDP on [::]:53 (dual-stack),
NXDOMAIN for everything else, and appends one JSON line per query to `--log` (source address, name,
type): the DNS scenario reads that log to show which address the client's queries came from.
Malformed queries are counted and ignored; the server stops by itself after `--max-seconds`.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import socket
import struct
import sys
import time
from pathlib import Path

from oxlab.tools.sockets import bind_udp, serve_udp

QTYPE_A = 1
QTYPE_AAAA = 28
RCODE_NXDOMAIN = 3
TTL = 5
_HEADER = struct.Struct("!HHHHHH")


class MalformedQuery(ValueError):
    """A datagram that is not a single-question DNS query."""


def parse_query(data: bytes) -> tuple[int, int, str, int, int, int]:
    """(id, flags, name, qtype, qclass, offset past the question) of a one-question query."""
    if len(data) < _HEADER.size:
        raise MalformedQuery("short header")
    ident, flags, qdcount, _an, _ns, _ar = _HEADER.unpack_from(data)
    if flags & 0x8000 or qdcount != 1:
        raise MalformedQuery("not a single-question query")
    labels: list[str] = []
    pos = _HEADER.size
    while True:
        if pos >= len(data):
            raise MalformedQuery("name runs past the datagram")
        length = data[pos]
        pos += 1
        if length == 0:
            break
        if length > 63 or pos + length > len(data):
            raise MalformedQuery("bad label")
        labels.append(data[pos:pos + length].decode("ascii", errors="replace").lower())
        pos += length
    if pos + 4 > len(data):
        raise MalformedQuery("short question")
    qtype, qclass = struct.unpack_from("!HH", data, pos)
    return ident, flags, ".".join(labels), qtype, qclass, pos + 4


def build_answer(data: bytes, zone: dict[str, list[str]]) -> tuple[bytes, str, int]:
    ident, flags, name, qtype, qclass, end = parse_query(data)
    question = data[_HEADER.size:end]
    wanted = 4 if qtype == QTYPE_A else 6 if qtype == QTYPE_AAAA else 0
    known = name in zone
    addresses = [ipaddress.ip_address(a) for a in zone.get(name, [])]
    answers = [a for a in addresses if a.version == wanted]
    rcode = 0 if known else RCODE_NXDOMAIN
    reply_flags = 0x8000 | 0x0400 | (flags & 0x0100) | rcode  # QR, AA, copy RD
    out = _HEADER.pack(ident, reply_flags, 1, len(answers), 0, 0) + question
    for addr in answers:
        rdata = addr.packed
        out += struct.pack("!HHHIH", 0xC00C, qtype, qclass, TTL, len(rdata)) + rdata
    return out, name, qtype


def serve(addresses: list[str], port: int, zone: dict[str, list[str]], log_path: Path | None,
          max_seconds: float) -> int:
    socks = bind_udp(addresses, port)
    print(f"dnsd on {addresses} port {port} with {len(zone)} names", flush=True)
    log = open(log_path, "a", buffering=1) if log_path else None  # noqa: SIM115 - lives as long as serve

    def answer(sock: socket.socket, data: bytes, addr: tuple[str, int]) -> None:
        try:
            reply, name, qtype = build_answer(data, zone)
        except MalformedQuery as exc:
            print(f"malformed query from {addr[0]}: {exc}", flush=True)
            return
        sock.sendto(reply, addr)
        if log:
            record = {"t": time.time(), "src": addr[0], "dst": sock.getsockname()[0], "name": name,
                      "qtype": qtype}
            log.write(json.dumps(record) + "\n")

    try:
        serve_udp(socks, answer, max_seconds)
    finally:
        if log:
            log.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=53)
    parser.add_argument("--bind", action="append", required=True, help="address to serve on (repeatable)")
    parser.add_argument("--record", action="append", default=[], help="NAME=ADDRESS (repeatable)")
    parser.add_argument("--log", type=Path)
    parser.add_argument("--max-seconds", type=float, default=900.0)
    args = parser.parse_args(argv)
    zone: dict[str, list[str]] = {}
    for item in args.record:
        name, _, address = item.partition("=")
        try:
            ipaddress.ip_address(address)
        except ValueError:
            print(f"dnsd: --record {item!r}: not NAME=ADDRESS", file=sys.stderr)
            return 2
        zone.setdefault(name.lower().rstrip("."), []).append(address)
    return serve(args.bind, args.port, zone, args.log, args.max_seconds)


if __name__ == "__main__":
    sys.exit(main())
