"""A rogue host attacking the tunnel server (`python -m oxlab.tools.rogue`), bounded in count and time.

It reads datagrams the middlebox captured at tunnel start (client → server, handshake included) and
sends, phase by phase: random garbage; a fake HANDSHAKE_INIT without a valid MAC; captured envelopes
mutated (tag flipped, reserved flag set, bad magic, length that disagrees with the datagram, truncated,
counter moved ahead); captured datagrams replayed verbatim from the rogue's own address; and the same
replayed with the client's source address spoofed (raw IP via scapy). It prints one JSON object: how
many datagrams each phase sent and how many replies came back to the rogue (a server must not answer
an unauthenticated packet at all). The offsets used below are the v3 header and envelope layout of
spec/README.md §1–2 (magic 0–1, flags 2, length 7–8, receiver index 9–12, counter 13–20, tag last 16).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import select
import socket
import struct
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

MAGIC = b"\x4f\x58"
FLAG_ENCRYPTED = 0x01
FLAG_CONTROL = 0x08
RESERVED_FLAG = 0x20
HANDSHAKE_INIT_TYPE = 0x01
HANDSHAKE_INIT_SIZE = 158
HEADER_SIZE = 9
TAG_SIZE = 16


@dataclass(frozen=True)
class Captured:
    payload: bytes
    src: str
    sport: int

    @property
    def is_envelope(self) -> bool:
        return (len(self.payload) >= HEADER_SIZE + 12 + TAG_SIZE and self.payload[:2] == MAGIC
                and bool(self.payload[2] & FLAG_ENCRYPTED))


def read_capture(path: str, server: str, port: int) -> list[Captured]:
    from scapy.all import IP, UDP, rdpcap  # type: ignore[attr-defined]  # slow import: only when needed

    found = []
    for pkt in rdpcap(path):
        if IP in pkt and UDP in pkt and pkt[IP].dst == server and pkt[UDP].dport == port:
            found.append(Captured(bytes(pkt[UDP].payload), pkt[IP].src, int(pkt[UDP].sport)))
    return found


def _flip_tag(p: bytes) -> bytes:
    return p[:-1] + bytes([p[-1] ^ 0x01])


def _reserved_flag(p: bytes) -> bytes:
    return p[:2] + bytes([p[2] | RESERVED_FLAG]) + p[3:]


def _bad_magic(p: bytes) -> bytes:
    return b"\x58\x4f" + p[2:]


def _length_mismatch(p: bytes) -> bytes:
    (length,) = struct.unpack_from("!H", p, 7)
    return p[:7] + struct.pack("!H", (length + 1) & 0xFFFF) + p[9:]


def _truncated(p: bytes) -> bytes:
    return p[: max(1, len(p) // 2)]


def _counter_ahead(p: bytes) -> bytes:
    (counter,) = struct.unpack_from("!Q", p, 13)
    return p[:13] + struct.pack("!Q", counter + (1 << 32)) + p[21:]


MUTATIONS: dict[str, Callable[[bytes], bytes]] = {
    "tag_flipped": _flip_tag,
    "reserved_flag": _reserved_flag,
    "bad_magic": _bad_magic,
    "length_mismatch": _length_mismatch,
    "truncated": _truncated,
    "counter_ahead": _counter_ahead,
}


def fake_init() -> bytes:
    body_len = HANDSHAKE_INIT_SIZE - HEADER_SIZE
    header = MAGIC + bytes([FLAG_CONTROL]) + struct.pack("!IH", 0, body_len)
    return header + bytes([HANDSHAKE_INIT_TYPE]) + os.urandom(body_len - 1)


def phases(captured: list[Captured], per_phase: int) -> Iterator[tuple[str, list[bytes], bool]]:
    """(phase name, datagrams, spoof the client's source?) in the order they are sent."""
    rng = random.Random(0x0A)
    envelopes = [c.payload for c in captured if c.is_envelope] or [os.urandom(100)]
    yield "garbage", [os.urandom(rng.randint(1, 1400)) for _ in range(per_phase)], False
    yield "fake_handshake_init", [fake_init() for _ in range(per_phase)], False
    for name, mutate in MUTATIONS.items():
        yield f"forged_{name}", [mutate(envelopes[i % len(envelopes)]) for i in range(per_phase)], False
    replay = [c.payload for c in captured] or envelopes
    yield "replay_own_address", [replay[i % len(replay)] for i in range(per_phase)], False
    yield "replay_spoofed_client", [replay[i % len(replay)] for i in range(per_phase)], True


def run(args: argparse.Namespace) -> dict[str, object]:
    captured = read_capture(args.pcap, args.server, args.port) if args.pcap else []
    plan = list(phases(captured, 1))
    per_phase = max(1, args.packets // len(plan))
    plan = list(phases(captured, per_phase))
    total = per_phase * len(plan)
    # Time budget: a fifth for listening for replies after each phase, most of the rest for pacing.
    reply_wait = min(0.3, args.seconds * 0.2 / len(plan))
    gap = args.seconds * 0.6 / total
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("0.0.0.0", 0))
    sock.setblocking(False)
    spoof_src = captured[0].src if captured else args.spoof
    spoof_sport = captured[0].sport if captured else args.port
    from scapy.all import IP, UDP, Raw, conf  # type: ignore[attr-defined]  # slow import: once, up front

    raw = conf.L3socket()
    report: dict[str, object] = {"captured": len(captured),
                                 "captured_envelopes": sum(c.is_envelope for c in captured),
                                 "phases": {}}
    deadline = time.monotonic() + args.seconds
    for name, datagrams, spoof in plan:
        sent = 0
        for data in datagrams:
            if time.monotonic() >= deadline:
                break
            if spoof:
                spoofed = IP(src=spoof_src, dst=args.server) / UDP(sport=spoof_sport, dport=args.port)
                raw.send(spoofed / Raw(data))
            else:
                try:
                    sock.sendto(data, (args.server, args.port))
                except OSError:
                    continue
            sent += 1
            time.sleep(gap)
        replies = _collect_replies(sock, wait=reply_wait)
        report["phases"][name] = {"sent": sent, "replies": replies}  # type: ignore[index]
    raw.close()
    report["sent_total"] = sum(p["sent"] for p in report["phases"].values())  # type: ignore[attr-defined]
    return report


def _collect_replies(sock: socket.socket, wait: float) -> int:
    count = 0
    end = time.monotonic() + wait
    while (left := end - time.monotonic()) > 0:
        readable, _, _ = select.select([sock], [], [], left)
        if not readable:
            break
        try:
            sock.recv(65535)
            count += 1
        except OSError:
            break
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--server", required=True)
    parser.add_argument("--port", type=int, default=51820)
    parser.add_argument("--pcap", help="capture of client→server datagrams to mutate and replay")
    parser.add_argument("--spoof", default="198.51.100.2", help="source to spoof when the capture is empty")
    parser.add_argument("--packets", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args(argv)
    if not 1 <= args.packets <= 50_000 or not 0 < args.seconds <= 120:
        print("rogue: --packets must be 1..50000 and --seconds 0..120", file=sys.stderr)
        return 2
    print(json.dumps(run(args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
