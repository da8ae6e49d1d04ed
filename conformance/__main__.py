"""``python -m conformance --target FILE.toml [--target FILE2.toml] [--only ID,...] [--transport udp]``.

Exit status: 0 when every MUST check that ran passed, 1 when a MUST check failed, 2 for a bad target file.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
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
    labs = [path for path in args.target if lab_spec(path) is not None]
    if labs:
        if len(args.target) != 1:
            parser.error(
                "a [lab] target runs on its own (it builds namespaces and re-runs the suite in them)"
            )
        return _run_lab(console, Path(labs[0]), args)
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


def lab_spec(path: str) -> dict[str, object] | None:
    """The ``[lab]`` table of a target file, if it is a lab target (see ``conformance/lab.py``)."""
    try:
        data = tomllib.loads(Path(path).read_text())
    except (OSError, tomllib.TOMLDecodeError):
        return None  # load_target reports it properly
    lab = data.get("lab")
    return lab if isinstance(lab, dict) else None


def _run_lab(console: Console, path: Path, args: argparse.Namespace) -> int:
    from conformance import lab

    spec = lab_spec(str(path)) or {}
    unknown = set(spec) - {"implementation", "transports"}
    if unknown or spec.get("implementation", "oxidize") != "oxidize":
        console.print(
            f'[bold red]bad target:[/] {path}: lab: only implementation = "oxidize" and '
            f"transports are understood (got {sorted(spec)})",
            highlight=False,
        )
        return 2
    transports = spec.get("transports", ["udp", "tcp", "quic"])
    if not isinstance(transports, list) or not set(transports) <= set(TRANSPORTS):
        console.print(f"[bold red]bad target:[/] {path}: lab.transports: a list drawn from {TRANSPORTS}")
        return 2
    extra = [a for item in (("--only", args.only),) if item[1] for a in item]
    extra += [a for t in (args.transport or []) for a in ("--transport", t)]
    try:
        with lab.our_server(transports) as server:
            console.print(
                f"lab {server.lab.suffix}: oxidize server up ({', '.join(server.transports)}); "
                f"running the suite in {server.lab.peer}",
                highlight=False,
            )
            status = lab.run_suite_in_peer(server, args.report_dir, extra)
            if not server.alive():
                console.print(f"[bold red]the server died during the run:[/] {server.log_tail()}")
                status = 1
            return status
    except lab.LabError as exc:
        console.print(f"[bold red]lab:[/] {exc}", highlight=False)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
