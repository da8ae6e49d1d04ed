"""Reports of a lab run: report.json (a list of scenarios), report.md and PNG charts, and the final
terminal table."""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from oxlab.scenario import ScenarioResult
from oxlab.shell import LAB_ROOT

REPORT_DIR = LAB_ROOT / "reports" / "latest"
# The headline number of each scenario, shown in the table and the Markdown report.
HEADLINE: dict[str, tuple[str, str]] = {
    "tunnel_up": ("start_seconds", "s to start"),
    "ping": ("v4_rtt_ms", "ms RTT v4 (median)"),
    "udp_echo": ("v4_rtt_ms_median", "ms RTT (median)"),
    "dns_outside": ("queries_seen_by_server", "queries outside"),
    "http_download": ("mbit_s", "Mbit/s"),
    "loss": ("mbit_s", "Mbit/s at loss"),
    "rate_limit": ("share_of_limit", "of the policed rate"),
    "udp_outage": ("resume_seconds", "s to resume"),
    "rogue": ("server_drop_counter_delta", "drops counted"),
    "roaming": ("resume_seconds", "s to resume"),
    "fallback_quic": ("quic_switch_seconds", "s to QUIC"),
    "fallback_tcp": ("tcp_switch_seconds", "s to TCP"),
    "fallback_back_to_udp": ("back_to_udp_seconds", "s back to UDP"),
    "fallback_download": ("download_seconds", "s download"),
    "server_restart": ("reconnect_seconds", "s to reconnect"),
    "client_teardown": ("client_exit_code", "exit code"),
}


def machine_description() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import os

    return {"kernel": platform.release(), "cpu": cpu, "cores": os.cpu_count(),
            "python": platform.python_version(), "date": time.strftime("%Y-%m-%d %H:%M:%S %Z")}


def headline(result: ScenarioResult) -> str:
    key, unit = HEADLINE.get(result.name, ("", ""))
    value = result.metrics.get(key)
    return "" if value is None else f"{value} {unit}"


def write_reports(results: Sequence[ScenarioResult], meta: dict[str, Any],
                  out_dir: Path = REPORT_DIR) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "report.json").write_text(json.dumps([r.as_dict() for r in results], indent=2, default=str))
    charts = write_charts(results, out_dir)
    (out_dir / "report.md").write_text(markdown(results, meta, charts))
    return out_dir


def markdown(results: Sequence[ScenarioResult], meta: dict[str, Any], charts: list[str]) -> str:
    passed = sum(r.passed for r in results)
    lines = [
        "# OxTunnel lab report",
        "",
        f"{passed}/{len(results)} scenarios passed — runtime `{meta.get('runtime')}`, profile "
        f"`{meta.get('profile')}`, {meta.get('date')}, {meta.get('cpu')} ({meta.get('cores')} cores), "
        f"Linux {meta.get('kernel')}.",
        "",
        "| scenario | result | seconds | measured |",
        "|---|---|---|---|",
    ]
    for r in results:
        lines.append(f"| {r.name} — {r.title} | {'PASS' if r.passed else '**FAIL**'} | {r.seconds:.1f} | "
                     f"{headline(r)} |")
    for r in results:
        lines += ["", f"## {r.name}: {'PASS' if r.passed else 'FAIL'}", ""]
        for c in r.checks:
            why = f" — `{c.detail[:300]}`" if not c.ok and c.detail else ""
            lines.append(f"- {'✔' if c.ok else '✘'} {c.what}{why}")
        if r.error:
            lines += ["", "```", r.error.strip()[-1500:], "```"]
        scalars = {k: v for k, v in r.metrics.items() if isinstance(v, int | float | str) or v is None}
        if scalars:
            lines += ["", "| metric | value |", "|---|---|"]
            lines += [f"| {k} | {str(v).strip().replace(chr(10), ' ⏎ ')} |" for k, v in scalars.items()]
    lines += [""] + [f"![{name}]({name})" for name in charts] + [""]
    return "\n".join(lines)


def write_charts(results: Sequence[ScenarioResult], out_dir: Path) -> list[str]:
    """Scenario durations coloured by outcome, and the throughput / RTT numbers measured."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    names = [r.name for r in results]
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(results) + 1.2))
    colours = ["#2e7d32" if r.passed else "#c62828" for r in results]
    ax.barh(names, [r.seconds for r in results], color=colours)
    ax.invert_yaxis()
    ax.set_xlabel("seconds (green: pass, red: fail)")
    ax.set_title("OxTunnel lab scenarios")
    fig.tight_layout()
    fig.savefig(out_dir / "scenarios.png", dpi=110)
    plt.close(fig)
    written.append("scenarios.png")

    bars = [(label, value) for label, value in (
        ("download Mbit/s", _metric(results, "http_download", "mbit_s")),
        ("download at loss Mbit/s", _metric(results, "loss", "mbit_s")),
    ) if isinstance(value, int | float)]
    rtts = [(label, value) for label, value in (
        ("ping v4 (median)", _metric(results, "ping", "v4_rtt_ms")),
        ("ping v6 (median)", _metric(results, "ping", "v6_rtt_ms")),
        ("UDP echo v4", _metric(results, "udp_echo", "v4_rtt_ms_median")),
        ("UDP echo v6", _metric(results, "udp_echo", "v6_rtt_ms_median")),
    ) if isinstance(value, int | float)]
    if bars or rtts:
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
        for ax, data, unit in ((axes[0], bars, "Mbit/s"), (axes[1], rtts, "ms")):
            if data:
                ax.bar([d[0] for d in data], [d[1] for d in data], color="#1565c0")
                for i, (_, v) in enumerate(data):
                    ax.text(i, v, f"{v:g}", ha="center", va="bottom", fontsize=8)
            ax.set_ylabel(unit)
            ax.tick_params(axis="x", labelsize=8)
        axes[0].set_title("throughput through the tunnel")
        axes[1].set_title("round-trip time through the tunnel")
        fig.tight_layout()
        fig.savefig(out_dir / "measurements.png", dpi=110)
        plt.close(fig)
        written.append("measurements.png")
    return written


def _metric(results: Sequence[ScenarioResult], name: str, key: str) -> Any:
    for r in results:
        if r.name == name:
            return r.metrics.get(key)
    return None


def print_table(results: Sequence[ScenarioResult], console: Console) -> None:
    table = Table(title="OxTunnel lab")
    for col in ("scenario", "result", "seconds", "measured", "why it failed"):
        table.add_column(col, overflow="fold")
    for r in results:
        table.add_row(r.name, "[green]PASS[/]" if r.passed else "[red]FAIL[/]", f"{r.seconds:.1f}",
                      headline(r), "; ".join(r.failures())[:300])
    console.print(table)
