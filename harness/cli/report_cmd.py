"""`harness report [--runs DIR] [--out DIR] [--compare A B]` and `harness runs export`.

`runs` is a group of runs_cmd.py, so `export_command` is wired there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from harness.report import build_comparison, build_report, export_runs
from harness.report.export import ExportFormat
from harness.results import recover_crashed

DEFAULT_RUNS_DIR = Path("reports/runs")
DEFAULT_OUT_DIR = Path("reports")


def register(app: typer.Typer) -> None:
    app.command("report")(report_command)


def report_command(
    runs: Annotated[Path, typer.Option("--runs", help="where run files are")] = DEFAULT_RUNS_DIR,
    out: Annotated[Path, typer.Option("--out", help="where index.html goes")] = DEFAULT_OUT_DIR,
    compare: Annotated[tuple[str, str] | None, typer.Option(
        "--compare", metavar="RUN_A RUN_B",
        help="compare two runs (id, unique id prefix or label) instead")] = None,
    min_change: Annotated[float, typer.Option(
        help="smallest relative change flagged, e.g. 0.05 for 5 %")] = 0.05,
) -> None:
    """Write a self-contained HTML report: trends, regressions, failover timelines."""
    for found in recover_crashed(runs):  # a killed run's rows belong on the page
        typer.echo(f"recovered: {found.sentence()}", err=True)
    if compare:
        path = build_comparison(runs, out, compare[0], compare[1], min_change)
    else:
        path = build_report(runs, out, min_change)
    typer.echo(f"report written: {path}")


def export_command(
    fmt: Annotated[str, typer.Option("--format", help="csv or parquet")] = "csv",
    out: Annotated[Path | None, typer.Option(
        "--out", help="file to write (default runs.csv / runs.parquet)")] = None,
    runs_dir: Annotated[Path, typer.Option("--runs-dir", help="where run files are")] =
        DEFAULT_RUNS_DIR,
) -> None:
    """Export every measurement with its run's metadata as one flat table."""
    if fmt not in ("csv", "parquet"):
        raise typer.BadParameter("use csv or parquet", param_hint="--format")
    chosen: ExportFormat = "csv" if fmt == "csv" else "parquet"
    path = export_runs(runs_dir, chosen, out)
    typer.echo(f"exported: {path}")
