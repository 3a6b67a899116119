"""`harness runs`: list recorded runs with their status and counts."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from harness.cli.report_cmd import export_command
from harness.results import load_frames

DEFAULT_RUNS_DIR = Path("reports/runs")


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Recorded runs (reports/runs/*.json).", invoke_without_command=True)
    group.callback()(list_runs)
    group.command("export")(export_command)
    app.add_typer(group, name="runs")


def list_runs(
    ctx: typer.Context,
    runs_dir: Annotated[Path, typer.Option("--runs-dir", help="where run files are")] = DEFAULT_RUNS_DIR,
    last: Annotated[int, typer.Option(help="show at most this many, newest last")] = 20,
) -> None:
    """List recorded runs: status, duration and counts of outcomes and measurements."""
    if ctx.invoked_subcommand is not None:
        return
    console = Console()
    frames = load_frames(runs_dir)
    if frames.runs.empty:
        console.print(f"no runs in {runs_dir} yet: run `pytest suites/` to record one")
        return
    counts = Counter(zip(frames.outcomes["run_id"].astype(str), frames.outcomes["outcome"].astype(str),
                         strict=True))
    measured = {str(run_id): int(n) for run_id, n in frames.measurements.groupby("run_id").size().items()}
    table = Table("run", "label", "target", "status", "started", "passed", "failed", "skipped",
                  "measurements")
    for run in frames.runs.tail(last).itertuples():
        run_id = str(run.run_id)

        def count(*outcomes: str, run_id: str = run_id) -> str:
            return str(sum(counts.get((run_id, outcome), 0) for outcome in outcomes))

        table.add_row(
            run_id, str(run.label or ""), str(run.target), _status(str(run.status)),
            str(run.started)[:19].replace("T", " "), count("passed"), count("failed", "error"),
            count("skipped"), str(measured.get(run_id, 0)),
        )
    console.print(table)


def _status(status: str) -> str:
    colour = {"passed": "green", "failed": "red", "interrupted": "yellow",
              "incomplete": "yellow"}.get(status, "white")
    return f"[{colour}]{status}[/]"
