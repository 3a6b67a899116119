"""`harness chaos run FILE` and `harness chaos check FILE`: chaos scenarios outside pytest."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from harness.chaos import (
    GuardError,
    JournalEntry,
    RunContext,
    ScenarioInterrupted,
    ScenarioResult,
    load_scenario,
    profile_problems,
    run_scenario,
)
from harness.chaos.errors import ScenarioError
from harness.chaos.owed import RollbackLedger, pay_owed
from harness.chaos.run_file import scenario_run_file
from harness.chaos.slo_windows import fit_windows
from harness.cli.recover_cmd import recover
from harness.profile import load_profile
from harness.results import new_run_id
from harness.results.store import run_file_path
from harness.targets import make_target

DEFAULT_PROFILE = Path("profiles/lab.yaml")
_STATUS_STYLE = {"ok": "green", "failed": "bold red", "skipped": "dim"}


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Chaos scenarios: break part of the cluster on purpose, measure, roll back.",
                        no_args_is_help=True)
    group.command("run")(run)
    group.command("check")(check)
    group.command("recover")(recover)
    app.add_typer(group, name="chaos")


def check(
    path: Annotated[Path, typer.Argument(help="scenario YAML, e.g. scenarios/etcd-leader-killed.yaml")],
    profile: Annotated[Path | None, typer.Option(help="also check node names against this profile")] = None,
) -> None:
    """Validate a scenario: list every problem with its path."""
    scenario = load_scenario(path)
    if profile is not None:
        problems = profile_problems(scenario, load_profile(profile))
        if problems:
            raise ScenarioError(str(path), problems)
    Console().print(f"[green]ok[/]: {path}: {scenario.title!r}, {len(scenario.method)} method steps, "
                    f"{len(scenario.expectations)} expectations")


def run(
    path: Annotated[Path, typer.Argument(help="scenario YAML")],
    profile: Annotated[Path, typer.Option(help="cluster profile")] = DEFAULT_PROFILE,
    yes: Annotated[bool, typer.Option("--yes", help="do not ask before disrupting the cluster")] = False,
    results_dir: Annotated[Path, typer.Option(help="where the run file and the ledger of owed "
                                              "rollbacks go")] = Path("reports/runs"),
) -> None:
    """Run one scenario against the profile's target and print its journal."""
    console = Console()
    scenario = load_scenario(path)
    loaded = load_profile(profile)
    if not yes and not typer.confirm(f"Run {scenario.title!r} against {loaded.name}? It disrupts the "
                                     "cluster on purpose"):
        raise typer.Exit(1)
    for stretch in fit_windows(scenario, loaded).stretches:  # the runner applies them
        console.print(stretch.sentence(), highlight=False)
    target = make_target(loaded.target, loaded, run_id=new_run_id())
    ledger = RollbackLedger.in_results(results_dir)
    context = RunContext(target=target, profile=loaded, source=str(path),
                         on_step=lambda entry: console.print(_line(entry), highlight=False),
                         ledger=ledger)
    target.prepare()
    try:
        pay_owed(ledger, target, say=lambda line: console.print(line, highlight=False))
        with scenario_run_file(results_dir, target, source=str(path), title=scenario.title) as run_file:
            try:
                result = run_scenario(scenario, context=context)
            except GuardError as refusal:
                if refusal.result is not None:
                    run_file.record(refusal.result)
                    show_result(refusal.result, console)
                raise  # one line and exit 1 through the CLI's HarnessError channel
            except ScenarioInterrupted as stopped:
                run_file.record(stopped.result)
                show_result(stopped.result, console)
                raise
            run_file.record(result)
        # never folded: a path is for copying
        console.print(f"run file: {run_file_path(results_dir, run_file.meta.id)}", highlight=False,
                      soft_wrap=True)
    except ScenarioInterrupted:
        raise typer.Exit(130) from None
    finally:
        target.release()
    show_result(result, console)
    if not result.passed:
        raise typer.Exit(1)


def _line(entry: JournalEntry) -> str:
    style = _STATUS_STYLE[entry.status]
    detail = f" [red]{entry.error}[/]" if entry.error else ""
    return f"[{style}]{entry.status:7}[/] {entry.duration_s:6.2f} s  {entry.name}{detail}"


def show_result(result: ScenarioResult, console: Console) -> None:
    table = Table("status", "duration", "step", "output", box=None, pad_edge=False)
    for entry in result.journal:
        table.add_row(f"[{_STATUS_STYLE[entry.status]}]{entry.status}[/]", f"{entry.duration_s:.2f} s",
                      entry.name, entry.error or entry.output)
    console.print(table)
    for expectation in result.expectations:
        colour = "green" if expectation.ok else "red"
        console.print(f"[{colour}]{expectation.sentence()}[/]", highlight=False)
    verdict = "[green]passed[/]" if result.passed else "[bold red]did not pass[/]"
    console.print(f"{result.title}: {verdict} (status {result.status}, "
                  f"{'deviated' if result.deviated else 'steady state held'})")
    for problem in result.problems():
        console.print(f"  [red]{problem}[/]", highlight=False)
