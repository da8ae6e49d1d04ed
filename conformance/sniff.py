"""``python -m conformance.sniff --iface IF``: stream every frame seen on IF as one hex line on stdout.

Run by ``SniffObserver`` inside the observer's network namespace. Prints ``READY`` once the capture
socket is open and stops when stdin closes, so the parent controls its lifetime without signals.
"""

from __future__ import annotations

import argparse
import sys

from scapy.packet import Packet
from scapy.sendrecv import AsyncSniffer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance.sniff")
    parser.add_argument("--iface", required=True)
    args = parser.parse_args(argv)

    def emit(packet: Packet) -> None:
        sys.stdout.write(bytes(packet).hex() + "\n")
        sys.stdout.flush()

    def ready() -> None:
        sys.stdout.write("READY\n")
        sys.stdout.flush()

    sniffer = AsyncSniffer(iface=args.iface, prn=emit, store=False, started_callback=ready)
    sniffer.start()
    try:
        sys.stdin.read()  # until the parent closes our stdin
    finally:
        sniffer.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
