"""Collect `scenarios/*.yaml` as tests: one item per scenario file, marked `disruptive`.

A YAML file is a scenario when its top level has `title` and `method`; one that does not even
parse is still collected when it sits in a `scenarios/` folder, so its mistake is reported
instead of silently skipped. Items run through the session's target and record the journal,
timelines and measurements into the run file, whatever the outcome.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.chaos import (
    GuardError,
    RunContext,
    ScenarioInterrupted,
    ScenarioResult,
    is_scenario_document,
    load_scenario,
    result_rows,
    run_scenario,
)
from harness.chaos.owed import RollbackLedger
from harness.chaos.refusals import TARGET_GUARD
from harness.errors import HarnessError
from harness.plugin.state import harness_session, session_recorder, session_target


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> ScenarioFile | None:
    if file_path.suffix not in (".yaml", ".yml"):
        return None
    try:
        document: Any = yaml.safe_load(file_path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        document = None
        if file_path.parent.name != "scenarios":
            return None
    else:
        if not is_scenario_document(document):
            return None
    return ScenarioFile.from_parent(parent, path=file_path)


class ScenarioFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        item = ScenarioItem.from_parent(self, name=self.path.stem)
        item.add_marker(pytest.mark.disruptive)
        yield item


class ScenarioFailed(Exception):
    """The scenario ran but did not pass: its message lists each reason, measured vs limit."""

    def __init__(self, result: ScenarioResult) -> None:
        self.result = result
        lines = [f"scenario {result.title!r} on {result.target} did not pass:"]
        lines += [f"  {problem}" for problem in result.problems()]
        lines += ["journal:"] + [
            f"  {e.status:7} {e.duration_s:6.2f} s  {e.name}" + (f"  ({e.error})" if e.error else "")
            for e in result.journal]
        super().__init__("\n".join(lines))


class ScenarioItem(pytest.Item):
    def runtest(self) -> None:
        scenario = load_scenario(self.path)
        target = session_target(self.config)
        state = harness_session(self.config)
        ledger = RollbackLedger.in_results(state.runs_dir) if state is not None else None
        context = RunContext(target=target, profile=target.profile, source=str(self.path),
                             ledger=ledger)
        try:
            result = run_scenario(scenario, context=context)
        except (GuardError, ScenarioInterrupted) as stopped:
            if stopped.result is not None:
                self._record(stopped.result)
            if isinstance(stopped, GuardError) and stopped.guard == TARGET_GUARD:
                # Not the cluster's failure: this target cannot run it (recorded, with why).
                pytest.skip(stopped.reason)
            raise
        self._record(result)
        if not result.passed:
            raise ScenarioFailed(result)

    def _record(self, result: ScenarioResult) -> None:
        recorder = session_recorder(self.config)
        for timeline in result_rows(result, nodeid=self.nodeid):
            recorder.timeline(timeline)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str | Any:
        # User-facing outcomes read as sentences; only bugs keep their traceback.
        if isinstance(excinfo.value, ScenarioFailed | HarnessError):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, 0, f"scenario: {self.name}"  # a line is needed for skip reports
