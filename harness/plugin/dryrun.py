"""Run-scoped binding of the target, and `--dry-run`.

The target arrives complete (session.py makes it with the run's id, and under `--dry-run` with
the plan sink it writes into; a target that cannot plan refuses there, in one usage line).

Dry run: the target plans (writes go to the sink, reads and node calls refuse), no test body
runs, and every item is reported as `planned`. Scenarios
are described from their model (guard rails, roles, faults, rollbacks, expectations, in the
runner's order); suites list the objects their capabilities create. The terminal summary prints
the objects as validated YAML, in the order they would be created, then the scenario plans.

When the profile's cluster answers, its API server checks every planned object too: a create
with `dryRun=All` (stored nowhere; `serverdryrun.py`), and the run fails if it refuses one.
`--dry-run-offline` sends nothing at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
import yaml

from harness.errors import HarnessError
from harness.plugin.state import dry_run_asked, harness_session
from harness.targets import PlanSink, Target, Verdict, schema_verdict

DRY_RUN_FLAG = "--dry-run"
OFFLINE_FLAG = "--dry-run-offline"
PLANNED = "dry run: planned, not run"


@dataclass
class DryRun:
    sink: PlanSink
    target: Target
    scenario_plans: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)
    """Scenario file -> why the run would refuse it (the target, quorum), for the summary."""
    planned: list[str] = field(default_factory=list)
    offline: bool = False
    verdicts: dict[int, Verdict] = field(default_factory=dict)  # id(PlannedWrite) -> its Verdict
    unchecked: str = ""  # why the server did not check the plan


dry_run_key = pytest.StashKey[DryRun]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("cluster-harness").addoption(
        DRY_RUN_FLAG, action="store_true", default=False,
        help="print what the run would create and inject (validated YAML, faults with their "
             "guard rails) and store nothing; the API server checks each object with a "
             "server-side dry run when it answers; kubernetes target only")
    parser.getgroup("cluster-harness").addoption(
        OFFLINE_FLAG, action="store_true", default=False,
        help=f"{DRY_RUN_FLAG} without sending anything to the cluster (no server-side check)")


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    state = harness_session(session.config)
    if dry_run_asked(session.config) and state is None:
        raise pytest.UsageError(f"{DRY_RUN_FLAG} plans a harness run: give suites/ or scenarios/, "
                                "or --target")
    if state is None or state.plan is None:
        return
    session.config.stash[dry_run_key] = DryRun(
        sink=state.plan, target=state.target, offline=session.config.getoption("dry_run_offline"))


@pytest.hookimpl(tryfirst=True)  # our skip marker comes first, so its reason is the one shown
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    dry = config.stash.get(dry_run_key, None)
    if dry is None:
        return
    from harness.plugin.preflight import needs_of, suite_area
    from harness.plugin.scenarios import ScenarioItem

    dry.target.preflight(needs_of(items))  # first, as in a real run; records its pods in the plan
    # In the order the tests would run: an area's objects where its first test stands, a
    # scenario's fault objects where the scenario stands.
    areas: set[str] = set()
    for item in items:
        item.add_marker(pytest.mark.skip(reason=PLANNED))
        dry.planned.append(item.nodeid)
        if isinstance(item, ScenarioItem):
            dry.scenario_plans.append(_scenario_plan(item, dry))
        elif (area := suite_area(item)) is not None and area not in areas:
            areas.add(area)
            for write in dry.target.plan_suite_objects({area}):
                dry.sink.record(write)


def _scenario_plan(item: pytest.Item, dry: DryRun) -> str:
    from harness.chaos import load_scenario
    from harness.chaos.guards import default_lock_path
    from harness.chaos.load import profile_problems
    from harness.chaos.plan import plan_scenario
    from harness.chaos.refusals import target_refusals

    path, target = item.path, dry.target
    try:
        scenario = load_scenario(path)
    except HarnessError as error:
        return f"scenario {path.name}: INVALID, would not run:\n  {error}"
    problems = profile_problems(scenario, target.profile)
    if problems:
        return f"scenario {path.name}: does not fit the profile: " + "; ".join(
            f"{where}: {what}" for where, what in problems)
    plan = plan_scenario(scenario, profile=target.profile, source=str(path.name),
                         lock_path=default_lock_path(), describe_fault=target.plan_fault,
                         target_refusals=target_refusals(scenario, target),
                         describe_writer=target.plan_background_fio)
    if plan.refused:
        dry.refused[path.name] = plan.refused
    return plan.text()


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """The server's check of the plan, once it is complete; a refusal fails the run."""
    dry = session.config.stash.get(dry_run_key, None)
    if dry is None:
        return
    if dry.offline:
        dry.unchecked = f"{OFFLINE_FLAG}: nothing sent"
        return
    verdicts, dry.unchecked = dry.target.server_check(dry.sink.writes)
    dry.verdicts = {id(v.write): v for v in verdicts}
    if any(v.refused for v in verdicts):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config) -> Any:
    if config.stash.get(dry_run_key, None) is None or not report.skipped:
        return None
    if isinstance(report.longrepr, tuple) and PLANNED in str(report.longrepr[2]):
        return "planned", "p", "PLANNED"
    return None


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    dry = config.stash.get(dry_run_key, None)
    if dry is None:
        return
    write = terminalreporter
    if dry.verdicts:
        refused = sum(v.refused for v in dry.verdicts.values())
        write.write_sep("=", f"dry run on {dry.target.id}: checked by its API server, nothing stored")
        write.write_line(f"{len(dry.planned)} item(s) planned, none run; the server refused "
                         f"{refused} of {len(dry.verdicts)} object(s).")
    else:
        write.write_sep("=", f"dry run on {dry.target.id}: nothing was sent to the cluster")
        write.write_line(f"{len(dry.planned)} item(s) planned, none run; not checked by a server "
                         f"({dry.unchecked}).")
    write.write_sep("-", "objects, in the order they would be created (and deleted)")
    for planned in dry.sink.writes:
        write.write_line(f"# {planned.sentence()}")
        if planned.manifest is not None:
            write.write_line(f"# schema: {schema_verdict(planned.manifest)}")
            if id(planned) in dry.verdicts:
                write.write_line(f"# {dry.verdicts[id(planned)].line()}")
            write.write_line(yaml.safe_dump(planned.manifest, sort_keys=False).rstrip())
            write.write_line("---")
    if dry.scenario_plans:
        write.write_sep("-", "faults, in order, with the guard rails checked first")
        for text in dry.scenario_plans:
            write.write_line(text)
    if dry.refused:
        write.write_sep("-", f"scenarios {dry.target.id} would refuse, and why")
        for name, why in dry.refused.items():
            write.write_line(f"{name}: {why}")
