"""``python -m conformance --target FILE.toml [--target FILE2.toml] [--only ID,...] [--transport udp]``.

Exit status: 0 when every MUST check that ran passed, 1 when a MUST check failed, 2 for a bad target file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console

from conformance import report
from conformance.registry import Level, Status, implementations
from conformance.runner import Result, run_target
from conformance.target import TRANSPORTS, Target, TargetError, load_target

DEFAULT_REPORTS = Path(__file__).resolve().parent / "reports"


def _list(console: Console) -> None:
    for impl in implementations():
        req = impl.requirement
        console.print(
            f"{req.id:<9} {req.level:<6} {impl.profile:<6} {','.join(req.transports):<12} "
            f"{req.title}  [dim]({req.section})[/]",
            highlight=False,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--target",
        action="append",
        default=[],
        metavar="FILE.toml",
        help="target description (repeat for a matrix of several targets)",
    )
    parser.add_argument("--only", default="", help="comma-separated check IDs (prerequisites run too)")
    parser.add_argument("--transport", action="append", choices=TRANSPORTS, help="limit to these transports")
    parser.add_argument("--report-dir", type=Path, default=DEFAULT_REPORTS)
    parser.add_argument("--list", action="store_true", help="list the checks and exit")
    parser.add_argument("--quiet", action="store_true", help="no per-check progress lines")
    args = parser.parse_args(argv)
    console = Console(stderr=False, width=160 if not sys.stdout.isatty() else None)
    if args.list:
        _list(console)
        return 0
    if not args.target:
        parser.error("--target FILE.toml is required (or --list)")
    try:
        targets: list[Target] = [load_target(path) for path in args.target]
    except TargetError as exc:
        console.print(f"[bold red]bad target:[/] {exc}", highlight=False)
        return 2
    only = [item.strip() for item in args.only.split(",") if item.strip()]
    results: list[Result] = []
    for target in targets:
        console.print(
            f"[bold]{target.name}[/] ({target.profile}) at {target.address}: "
            f"{', '.join(f'{t}/{target.ports[t]}' for t in target.transports)}",
            highlight=False,
        )
        results += run_target(
            target,
            only or None,
            args.transport,
            None if args.quiet else lambda r: report.progress_line(console, r),
        )
    report.print_matrix(console, targets, results)
    json_path, md_path = report.write(args.report_dir, targets, results)
    console.print(f"reports: {json_path} {md_path}", highlight=False)
    must_failed = [r for r in results if r.level == Level.MUST and r.status == Status.FAIL]
    return 1 if must_failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
