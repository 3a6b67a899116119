"""`harness runs`: list recorded runs with their status and counts, as a table or as JSON."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Column, Table
from rich.text import Text

from harness.cli.report_cmd import export_command
from harness.results import RunFileError, RunFrames, load_frames, recover_crashed
from harness.results.noise import chosen_runs, series_noise

DEFAULT_RUNS_DIR = Path("reports/runs")
_COLOURS = {"passed": "green", "failed": "red", "interrupted": "yellow", "incomplete": "yellow",
            "crashed": "bold red", "running": "cyan"}


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Recorded runs (reports/runs/*.json).", invoke_without_command=True)
    group.callback()(list_runs)
    group.command("export")(export_command)
    group.command("noise")(noise_command)
    app.add_typer(group, name="runs")


@dataclass(frozen=True)
class RunSummary:
    """One line of `harness runs`; also the object `--json` prints per run."""

    id: str
    label: str | None
    target: str
    profile: str
    status: str
    started: str
    ended: str | None
    passed: int
    failed: int  # failed or errored
    skipped: int
    measurements: int
    path: str


def summaries(frames: RunFrames, last: int) -> list[RunSummary]:
    """The newest `last` runs, oldest first, with their outcome and measurement counts."""
    outcomes = frames.outcomes
    counts = Counter(zip(outcomes["run_id"].astype(str), outcomes["outcome"].astype(str), strict=True))
    measured = {str(run_id): int(n) for run_id, n in frames.measurements.groupby("run_id").size().items()}
    rows = []
    for run in frames.runs.tail(max(last, 0)).itertuples():
        run_id = str(run.run_id)

        def count(*kinds: str, run_id: str = run_id) -> int:
            return sum(counts.get((run_id, kind), 0) for kind in kinds)

        rows.append(RunSummary(
            id=run_id, label=_text_or_none(run.label), target=str(run.target),
            profile=str(run.profile), status=str(run.status), started=str(run.started),
            ended=_text_or_none(run.ended), passed=count("passed"), failed=count("failed", "error"),
            skipped=count("skipped"), measurements=measured.get(run_id, 0), path=str(run.path)))
    return rows


def _text_or_none(value: object) -> str | None:
    return None if value is None or value != value else str(value)  # NaN != NaN


def list_runs(
    ctx: typer.Context,
    runs_dir: Annotated[Path, typer.Option("--runs-dir", help="where run files are")] = DEFAULT_RUNS_DIR,
    last: Annotated[int, typer.Option(help="show at most this many, newest last")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="print the runs as a JSON list, for scripts")]
        = False,
) -> None:
    """List recorded runs: status, duration and counts of outcomes and measurements."""
    if ctx.invoked_subcommand is not None:
        return
    errors = Console(stderr=True)  # stdout stays the table or the JSON
    for found in recover_crashed(runs_dir):
        errors.print(f"recovered: {escape(found.sentence())}", highlight=False)
    skipped: list[RunFileError] = []
    rows = summaries(load_frames(runs_dir, skipped=skipped), last)
    if as_json:
        typer.echo(json.dumps([asdict(row) for row in rows], indent=2))
    elif rows:
        Console().print(runs_table(rows))
    elif not skipped:
        Console().print(f"no runs in {runs_dir} yet: run `pytest suites/` to record one")
    # The readable runs are listed all the same; each damaged file is one line and exit 1.
    for error in skipped:
        errors.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False)
    if skipped:
        raise typer.Exit(1)


def runs_table(rows: list[RunSummary]) -> Table:
    # The id is what a user passes to `harness report --compare`: never cut or wrapped; the
    # other columns give way on a narrow terminal. No `started` column: the id is the UTC start.
    width = max(len(row.id) for row in rows)
    table = Table(Column("run", no_wrap=True, min_width=width), Column("status", no_wrap=True),
                  "target", "label", "pass", "fail", "skip", "rows", box=None, pad_edge=False)
    for row in rows:
        colour = _COLOURS.get(row.status, "white")
        # Text, not markup: labels and targets are the user's words and may hold `[/]`
        table.add_row(row.id, Text(row.status, style=colour), Text(row.target),
                      Text(row.label or ""), str(row.passed), str(row.failed), str(row.skipped),
                      str(row.measurements))
    return table


def noise_command(
    runs_dir: Annotated[Path, typer.Option("--runs-dir", help="where run files are")] = DEFAULT_RUNS_DIR,
    last: Annotated[int, typer.Option(help="use the newest this many runs that passed")] = 10,
    profile: Annotated[str | None, typer.Option(help="only runs of this profile name, e.g. lab")] = None,
    metric: Annotated[str, typer.Option(help="only metrics starting with this, e.g. network.")] = "",
    depth: Annotated[str | None, typer.Option(
        help="only runs at this benchmark depth: quick (acceptance) or full (-m benchmark)")] = None,
    min_runs: Annotated[int, typer.Option(help="leave out series seen in fewer runs")] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="print the series as a JSON list")] = False,
) -> None:
    """Run-to-run noise per series: mean, standard deviation and coefficient of variation over
    the newest runs that passed, noisiest first (the yardstick for run lengths and thresholds)."""
    skipped: list[RunFileError] = []
    frames = load_frames(runs_dir, skipped=skipped)
    run_ids = chosen_runs(frames, last=last, profile=profile, depth=depth)
    found = series_noise(frames, run_ids, min_runs=min_runs, metric_prefix=metric)
    if as_json:
        typer.echo(json.dumps([{**asdict(n), "cv": n.cv} for n in found], indent=2))
    elif found:
        table = Table(Column("series", overflow="fold"), "unit", "runs", "mean", "stdev", "cv",
                      "low", "high", box=None, pad_edge=False)
        for n in found:
            table.add_row(Text(n.series), Text(n.unit), str(n.runs), f"{n.mean:.4g}", f"{n.stdev:.3g}",
                          f"{n.cv:.1%}", f"{n.low:.4g}", f"{n.high:.4g}")
        Console().print(table)
        Console().print(f"{len(run_ids)} passed run(s) of {profile or 'any profile'}, newest last")
    else:
        Console().print(f"no series in {min_runs} or more passed runs in {runs_dir} "
                        f"({len(run_ids)} passed run(s) chosen)")
    for error in skipped:
        Console(stderr=True).print(f"[bold red]error:[/] {escape(str(error))}", highlight=False)
    if skipped:
        raise typer.Exit(1)
