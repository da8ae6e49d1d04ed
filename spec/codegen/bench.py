"""Codec micro-benchmark: ops/s of header and data-envelope encode/decode (median of several runs).

    python -m spec.codegen.bench [--runs 5] [--number 200000]

Not a test: numbers depend on the machine and its load. Measures both the per-packet helpers of
generated/codecs/fast.py (what the protocol core uses) and the dataclass codecs.
"""

from __future__ import annotations

import argparse
import statistics
import timeit
from collections.abc import Callable

from generated.codecs import DataEnvelope, Header, fast

BODY = bytes(1400 - 37)  # a 1400-byte datagram
TAG = bytes(16)


def cases() -> dict[str, Callable[[], object]]:
    header = Header(flags=0x01, seq=7, length=1391)
    header_wire = header.encode()
    envelope = DataEnvelope(flags=0x01, receiver_index=0x1234, counter=7, body=BODY, tag=TAG)
    datagram = envelope.encode()
    return {
        "fast.pack_header": lambda: fast.pack_header(0x01, 7, 1391),
        "fast.unpack_header (1400-byte datagram)": lambda: fast.unpack_header(datagram),
        "fast.pack_envelope_prefix": lambda: fast.pack_envelope_prefix(0x01, 0x1234, 7, len(BODY)),
        "fast.unpack_envelope_prefix (1400 B)": lambda: fast.unpack_envelope_prefix(datagram),
        "fast.pack_envelope (1400 B)": lambda: fast.pack_envelope(0x01, 0x1234, 7, BODY, TAG),
        "Header.encode": header.encode,
        "Header.decode": lambda: Header.decode(header_wire),
        "DataEnvelope.encode (1400 B)": envelope.encode,
        "DataEnvelope.decode (1400 B)": lambda: DataEnvelope.decode(datagram),
    }


def measure(func: Callable[[], object], runs: int, number: int) -> float:
    """Median ops/s over `runs` runs of `number` calls."""
    rates = [number / timeit.timeit(func, number=number) for _ in range(runs)]
    return statistics.median(rates)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--number", type=int, default=200_000)
    args = parser.parse_args(argv)
    print(f"| operation | ops/s (median of {args.runs} × {args.number:,}) |")
    print("|---|---|")
    for name, func in cases().items():
        print(f"| {name} | {measure(func, args.runs, args.number) / 1e6:.2f} M |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
