"""`oxlab run`: bring the lab up, run the scenarios with a progress display, tear down, report."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from oxlab import report, scenarios
from oxlab.lab import Lab
from oxlab.profiles import PROFILES
from oxlab.scenario import ScenarioResult, execute
from oxlab.topology import list_lab_namespaces


def run_lab(runtime: str, profile_name: str, names: list[str] | None, out_dir: Path,
            console: Console) -> list[ScenarioResult]:
    profile = PROFILES[profile_name]
    chosen = scenarios.select(names, runtime)
    results: list[ScenarioResult] = []
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    lab = Lab(profile, runtime, log_dir=out_dir / "logs")
    console.print(f"[bold]oxlab[/]: runtime {runtime}, profile {profile.name}, namespaces "
                  f"{lab.topo.ns['client'].rsplit('-', 1)[0]}-*")
    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                        TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(), console=console)
    try:
        with lab, progress:
            overall = progress.add_task("scenarios", total=len(chosen))
            for scenario in chosen:
                progress.update(overall, description=f"{scenario.name}: {scenario.title}")
                result = execute(scenario, lab)
                results.append(result)
                mark = "[green]PASS[/]" if result.passed else "[red]FAIL[/]"
                progress.console.print(
                    f"{mark} {scenario.name} ({result.seconds:.1f} s) {report.headline(result)}")
                for failure in result.failures():
                    progress.console.print(f"     [red]✘[/] {failure[:400]}")
                progress.advance(overall)
    finally:
        leftovers = [ns for ns in list_lab_namespaces() if lab.topo.run_id in ns]
        if leftovers:
            console.print(f"[red]teardown left namespaces behind: {leftovers}[/]")
        meta = {"runtime": runtime, "profile": profile.name, "seconds": round(time.monotonic() - started, 1),
                **report.machine_description()}
        if results:
            report.write_reports(results, meta, out_dir)
            report.print_table(results, console)
            console.print(f"report: {out_dir / 'report.md'}")
    return results
