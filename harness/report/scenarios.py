"""Scenario verdicts of one run, as the chaos runner stored them in its `chaos-journal` timeline.

Every figure is read as written (harness/chaos/rows.py): the expectation's measured value, its
limit and whether it was met, the `deviated` and `passed` flags. Nothing is re-evaluated here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

JOURNAL_KIND = "chaos-journal"


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


def scenarios(timelines: list[dict[str, Any]]) -> list[ScenarioView]:
    """One view per scenario journal of the run, in the order they were recorded."""
    return [_scenario(t) for t in timelines
            if t.get("kind") == JOURNAL_KIND and isinstance(t.get("data"), dict)]


def _scenario(timeline: dict[str, Any]) -> ScenarioView:
    data: dict[str, Any] = timeline["data"]
    started = _number(data.get("started"))
    return ScenarioView(
        title=_text(data.get("title")) or str(timeline.get("name")),
        nodeid=_text(timeline.get("nodeid")),
        status=_text(data.get("status")) or "unknown",
        passed=data.get("passed") is True,
        deviated=data.get("deviated") is True,
        error=_text(data.get("error")),
        expectations=[ExpectationView(_text(e.get("text")) or "", _number(e.get("measured")),
                                      _number(e.get("limit")), e.get("ok") is True)
                      for e in _dicts(data.get("expectations"))],
        steps=[_step(s, started) for s in _dicts(data.get("steps"))])


def _step(step: dict[str, Any], started: float | None) -> StepView:
    start = _number(step.get("start"))
    at = None if start is None or started is None else start - started
    return StepView(_text(step.get("name")) or "", at, _number(step.get("duration_s")),
                    _text(step.get("status")) or "", _text(step.get("error")))


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
