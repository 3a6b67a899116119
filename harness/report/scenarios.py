"""Scenario verdicts of one run, from its typed scenario records (`harness.results.ScenarioRecord`).

Every figure is read as written (harness/chaos/rows.py): the expectation's measured value (the
figure of the scenario's probe or events timeline), its limit and whether it was met, the
`deviated` and `passed` flags. Nothing is re-evaluated here.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.results import RunTimelines, ScenarioRecord


@dataclass(frozen=True)
class ExpectationView:
    text: str
    measured: float | None  # None: not measured (the run never recovered, say)
    limit: float | None
    met: bool


@dataclass(frozen=True)
class StepView:
    name: str
    at_s: float | None  # start, seconds after the scenario started
    duration_s: float | None
    status: str
    error: str | None


@dataclass(frozen=True)
class ScenarioView:
    title: str
    nodeid: str | None
    status: str  # completed | failed | refused | interrupted
    passed: bool
    deviated: bool
    error: str | None
    expectations: list[ExpectationView]
    steps: list[StepView]


def scenarios(timelines: RunTimelines) -> list[ScenarioView]:
    """One view per scenario journal of the run, in the order they were recorded."""
    return [_scenario(record) for record in timelines.scenarios]


def _scenario(record: ScenarioRecord) -> ScenarioView:
    return ScenarioView(
        title=record.title, nodeid=record.nodeid, status=record.status, passed=record.passed,
        deviated=record.deviated, error=record.error,
        expectations=[ExpectationView(e.text, e.measured, e.limit, e.ok) for e in record.expectations],
        steps=[StepView(s.name, s.start - record.started, s.duration_s, s.status, s.error)
               for s in record.steps])
