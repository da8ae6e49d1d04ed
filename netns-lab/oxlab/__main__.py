"""`python -m oxlab run|bench|cleanup|list` — the namespace lab (needs root)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from rich.console import Console

from oxlab.oxidize import RUNTIMES
from oxlab.report import REPORT_DIR


def _need_root() -> None:
    if os.geteuid() != 0:
        print("oxlab: needs root (network namespaces, veth, nftables); run `sudo make lab`", file=sys.stderr)
        raise SystemExit(2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="oxlab", description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    run = sub.add_parser("run", help="run the lab scenarios and write a report")
    run.add_argument("--runtime", default="udp", choices=sorted(RUNTIMES),
                     help="OxTunnel runtime under test (the transport the client uses)")
    run.add_argument("--profile", default="full", choices=["full", "quick"])
    run.add_argument("--only", help="comma-separated scenario names (see `oxlab list`)")
    run.add_argument("--report-dir", type=Path, default=REPORT_DIR)
    bench = sub.add_parser("bench", help="raw veth vs OxTunnel vs wireguard-go: iperf3, ping, CPU")
    bench.add_argument("--runs", type=int, default=3)
    bench.add_argument("--seconds", type=int, default=5)
    bench.add_argument("--only", help="comma-separated setups: veth,oxtunnel,oxtunnel-quic,oxtunnel-masque,"
                                      "oxtunnel-tcp,wireguard-go")
    bench.add_argument("--report-dir", type=Path, default=REPORT_DIR)
    bench.add_argument("--segment-udp", action="store_true",
                       help="segment UDP GSO super-packets at each veth as a NIC without USO does, as the "
                            "lab scenarios do (default: veth defaults, GSO super-packets pass unsegmented)")
    clean = sub.add_parser("cleanup", help="remove namespaces and files a crashed run left (prefix oxl-)")
    clean.add_argument("--all", action="store_true", help="also those of runs whose process still lives")
    sub.add_parser("list", help="list the scenarios")
    args = parser.parse_args(argv)
    console = Console(width=None if sys.stdout.isatty() else 150)

    if args.cmd == "list":
        from oxlab.scenarios import ORDER

        for s in ORDER:
            console.print(f"{s.name:16} {s.title}")
        return 0
    _need_root()
    from oxlab.topology import cleanup

    if args.cmd == "cleanup":
        removed = cleanup(all_runs=args.all)
        console.print(f"cleanup: removed {len(removed)} item(s)")
        return 0
    cleanup(all_runs=False, out=open(os.devnull, "w"))  # noqa: SIM115 - leftovers of dead runs only
    if args.cmd == "run":
        from oxlab.runner import run_lab

        names = [n.strip() for n in args.only.split(",")] if args.only else None
        results = run_lab(args.runtime, args.profile, names, args.report_dir, console)
        return 0 if results and all(r.passed for r in results) else 1
    from oxlab.bench.runner import run_bench

    setups = [n.strip() for n in args.only.split(",")] if args.only else None
    return run_bench(args.runs, args.seconds, setups, args.report_dir, console, segment_udp=args.segment_udp)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("oxlab: interrupted; the lab was torn down", file=sys.stderr)
        sys.exit(130)
