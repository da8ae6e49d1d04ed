"""Reports: the check x target matrix in the terminal, ``latest.json`` and ``latest.md``."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from conformance.runner import Result
from conformance.target import Target

STYLE = {"pass": "green", "fail": "bold red", "skip": "yellow"}
MARK = {"pass": "PASS", "fail": "FAIL", "skip": "skip"}


def summary(results: list[Result]) -> dict[str, dict[str, dict[str, dict[str, int]]]]:
    """target -> transport -> level -> status -> count."""
    table: dict[str, dict[str, dict[str, Counter[str]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(Counter))
    )
    for r in results:
        table[r.target][r.transport][str(r.level)][str(r.status)] += 1
    return {
        t: {
            tr: {lv: {s: c[s] for s in ("pass", "fail", "skip")} for lv, c in levels.items()}
            for tr, levels in transports.items()
        }
        for t, transports in table.items()
    }


def _rows(results: list[Result]) -> list[tuple[str, str]]:
    seen: dict[tuple[str, str], None] = {}
    for r in results:
        seen.setdefault((r.id, r.transport), None)
    return list(seen)


def as_json(targets: list[Target], results: list[Result]) -> dict[str, Any]:
    return {
        "suite": "oxtunnel-conformance",
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "targets": [
            {
                "name": t.name,
                "profile": t.profile,
                "address": t.address,
                "transports": list(t.transports),
                "ports": {k: t.ports[k] for k in t.transports},
                "source": t.source,
            }
            for t in targets
        ],
        "summary": summary(results),
        "results": [r.as_dict() for r in results],
    }


def as_markdown(targets: list[Target], results: list[Result]) -> str:
    names = [t.name for t in targets]
    by_key = {(r.target, r.id, r.transport): r for r in results}
    meta = {r.id: r for r in results}
    lines = [
        "# OxTunnel conformance report",
        "",
        f"Generated {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')}.",
        "",
    ]
    for target in targets:
        lines.append(
            f"- **{target.name}**: profile `{target.profile}`, {target.address}, transports "
            f"{', '.join(target.transports)}"
        )
    lines += [
        "",
        "## Summary",
        "",
        "| target | transport | level | pass | fail | skip |",
        "|---|---|---|---|---|---|",
    ]
    for tname, transports in summary(results).items():
        for transport, levels in transports.items():
            for level in ("MUST", "SHOULD"):
                c = levels.get(level, {"pass": 0, "fail": 0, "skip": 0})
                lines.append(f"| {tname} | {transport} | {level} | {c['pass']} | {c['fail']} | {c['skip']} |")
    lines += [
        "",
        "## Matrix",
        "",
        "| check | transport | level | requirement | " + " | ".join(names) + " |",
        "|---|---|---|---|" + "---|" * len(names),
    ]
    for cid, transport in _rows(results):
        r = meta[cid]
        cells = []
        for name in names:
            hit = by_key.get((name, cid, transport))
            cells.append(
                f"**{MARK[hit.status]}**"
                if hit and hit.status == "fail"
                else (MARK[hit.status] if hit else "—")
            )
        lines.append(
            f"| {cid} | {transport} | {r.level} | {r.title} ({r.section}) | " + " | ".join(cells) + " |"
        )
    lines += ["", "## Reasons", ""]
    for target in targets:
        lines += [f"### {target.name}", "", "| check | transport | status | reason |", "|---|---|---|---|"]
        for r in results:
            if r.target == target.name:
                reason = r.reason.replace("|", "\\|").replace("\n", " ")
                lines.append(f"| {r.id} | {r.transport} | {r.status} | {reason} |")
        lines.append("")
    return "\n".join(lines) + "\n"


def write(report_dir: Path, targets: list[Target], results: list[Result]) -> tuple[Path, Path]:
    report_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = report_dir / "latest.json", report_dir / "latest.md"
    json_path.write_text(json.dumps(as_json(targets, results), indent=2) + "\n")
    md_path.write_text(as_markdown(targets, results))
    return json_path, md_path


def print_matrix(console: Console, targets: list[Target], results: list[Result]) -> None:
    by_key = {(r.target, r.id, r.transport): r for r in results}
    meta = {r.id: r for r in results}
    table = Table(title="OxTunnel conformance", show_lines=False)
    for header in ("check", "transport", "level", "requirement"):
        table.add_column(header, no_wrap=header != "requirement", overflow="ellipsis", max_width=60)
    for target in targets:
        table.add_column(target.name, justify="center")
    for cid, transport in _rows(results):
        r = meta[cid]
        cells = []
        for target in targets:
            hit = by_key.get((target.name, cid, transport))
            cells.append(f"[{STYLE[hit.status]}]{MARK[hit.status]}[/]" if hit else "—")
        table.add_row(cid, transport, str(r.level), escape(r.title), *cells)
    console.print(table)
    for tname, transports in summary(results).items():
        parts = []
        for transport, levels in transports.items():
            for level, c in sorted(levels.items()):
                parts.append(f"{transport} {level}: {c['pass']} pass, {c['fail']} fail, {c['skip']} skip")
        console.print(f"[bold]{tname}[/]: " + "; ".join(parts))
    failures = [r for r in results if r.status == "fail"]
    for r in failures:
        console.print(f"[bold red]FAIL[/] {r.target} {r.id} \\[{r.transport}] {r.level}: {escape(r.reason)}")


def progress_line(console: Console, result: Result) -> None:
    console.print(
        f"  [{STYLE[result.status]}]{MARK[result.status]}[/] {result.id:<9} {result.transport:<4} "
        f"{result.level:<6} {result.seconds:5.1f}s  {escape(result.reason[:150])}",
        highlight=False,
    )
