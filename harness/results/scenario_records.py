"""The typed record of one chaos scenario run: its verdict, journal and expectations.

Stored as a `chaos-journal` timeline. Every figure lives once in the run file: an expectation
stores its metric, limit and verdict, and its measured value is read back from the figures of
the scenario's probe and events timelines (`RunTimelines` joins them at load). Version 1
journals stored the measured value (and a copy of every metric) beside it; both are read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from harness.results.probe_records import Figures, number, seconds
from harness.results.records import Timeline

JOURNAL_KIND = "chaos-journal"


@dataclass(frozen=True)
class StepRecord:
    name: str
    start: float
    end: float
    status: str  # ok | failed | skipped
    output: str = ""
    error: str | None = None

    @property
    def duration_s(self) -> float:
        return self.end - self.start

    def to_row(self) -> dict[str, Any]:
        return asdict(self)  # no duration_s since version 2: it is end - start

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> StepRecord:
        start = seconds(row.get("start", 0.0))
        end = row.get("end")
        error = row.get("error")
        return cls(str(row.get("name") or ""), start, start if end is None else seconds(end),
                   str(row.get("status") or ""), str(row.get("output") or ""),
                   None if error is None else str(error))


@dataclass(frozen=True)
class ExpectationRecord:
    text: str
    metric: str  # `api.longest_unavailable_s`: a figure of the same scenario's timelines
    limit: float | None
    ok: bool
    measured: float | None = None  # not written: read from the figure at load

    def to_row(self) -> dict[str, Any]:
        return {"text": self.text, "metric": self.metric, "limit": self.limit, "ok": self.ok}

    @classmethod
    def from_row(cls, row: Mapping[str, Any], figures: Mapping[str, float | None]) -> ExpectationRecord:
        text = str(row.get("text") or "")
        metric = str(row.get("metric") or text.split(" ", 1)[0])  # version 1 stored no metric
        measured = figures.get(metric, number(row.get("measured")))
        return cls(text, metric, number(row.get("limit")), row.get("ok") is True, measured)


@dataclass(frozen=True)
class ScenarioRecord:
    name: str
    title: str
    source: str
    target: str
    status: str  # completed | refused | failed | interrupted
    deviated: bool
    passed: bool
    started: float
    ended: float
    steps: tuple[StepRecord, ...]
    expectations: tuple[ExpectationRecord, ...]
    fault_at: float | None = None
    bindings: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    nodeid: str | None = None

    def to_row(self) -> Timeline:
        return Timeline(name=self.name, kind=JOURNAL_KIND, nodeid=self.nodeid, data={
            "title": self.title, "source": self.source, "target": self.target,
            "status": self.status, "deviated": self.deviated, "passed": self.passed,
            "started": self.started, "ended": self.ended, "fault_at": self.fault_at,
            "bindings": dict(self.bindings), "error": self.error,
            "steps": [s.to_row() for s in self.steps],
            "expectations": [e.to_row() for e in self.expectations]})

    @classmethod
    def from_row(cls, row: Mapping[str, Any], figures: Figures) -> ScenarioRecord:
        """`figures`: the scenario's, keyed as expectations name them (`api.availability_pct`)."""
        data: Mapping[str, Any] = row["data"]
        started = number(data.get("started")) or 0.0
        fault_at, error = number(data.get("fault_at")), data.get("error")
        return cls(
            name=str(row.get("name")), title=str(data.get("title") or row.get("name")),
            source=str(data.get("source") or ""), target=str(data.get("target") or ""),
            status=str(data.get("status") or "unknown"), deviated=data.get("deviated") is True,
            passed=data.get("passed") is True, started=started,
            ended=number(data.get("ended")) or started,
            steps=tuple(StepRecord.from_row(s) for s in _dicts(data.get("steps"))),
            expectations=tuple(ExpectationRecord.from_row(e, figures)
                               for e in _dicts(data.get("expectations"))),
            fault_at=fault_at,
            bindings={str(k): str(v) for k, v in (data.get("bindings") or {}).items()},
            error=None if error is None else str(error),
            nodeid=None if row.get("nodeid") is None else str(row.get("nodeid")))


def _dicts(value: object) -> list[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []
