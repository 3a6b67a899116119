"""Typed timeline records: a probe's samples, windows and figures, and the events of a test.

Each record turns into the run file's `Timeline` row (`to_row`) and back (`from_row`), field by
field as FORMAT.md documents them. `from_row` reads version 1 rows too (figures at the top of a
probe's data, events copied into every probe). Times are seconds since the epoch; version 1
files of hand-written tools may hold ISO 8601 times, read here once into seconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from harness import metrics
from harness.results.records import Timeline

PROBE_KIND = "probe"
EVENTS_KIND = "events"
Figures = dict[str, float | None]
# Version 1 stored these beside the samples; version 2 keeps every figure under `figures`.
_V1_FIGURES = (metrics.LONGEST_UNAVAILABLE, metrics.AVAILABILITY_PCT, metrics.TIME_TO_FIRST_FAILURE,
               metrics.TIME_TO_RECOVERY, metrics.CHANGES)


def seconds(value: object) -> float:
    """A timeline instant: seconds, or an ISO 8601 time (the schema allows both)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return datetime.fromisoformat(str(value)).timestamp()


def number(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def figures_of(value: object) -> Figures:
    if not isinstance(value, Mapping):
        return {}
    return {str(name): number(figure) for name, figure in value.items()}


@dataclass(frozen=True)
class EventRecord:
    time: float
    kind: str
    node: str | None = None
    detail: str = ""

    def to_row(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> EventRecord:
        node = row.get("node")
        return cls(seconds(row.get("time", 0.0)), str(row.get("kind") or "fault"),
                   None if node is None else str(node), str(row.get("detail") or ""))


@dataclass(frozen=True)
class WindowRecord:
    start: float
    end: float
    failed_samples: int = 0
    recovered: bool = True
    first_error: str | None = None

    @property
    def duration_s(self) -> float:
        return self.end - self.start

    def to_row(self) -> dict[str, Any]:
        return asdict(self)  # no duration_s since version 2: it is end - start

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> WindowRecord:
        error = row.get("first_error")
        return cls(seconds(row["start"]), seconds(row["end"]), int(row.get("failed_samples") or 0),
                   row.get("recovered") is not False, None if error is None else str(error))


@dataclass(frozen=True)
class SampleColumns:
    """Columns rather than row dicts: a 20 Hz timeline stays small in the run file."""

    time: tuple[float, ...] = ()
    ok: tuple[bool, ...] = ()
    latency_s: tuple[float, ...] = ()
    error: tuple[str | None, ...] = ()
    value: tuple[str | None, ...] = ()

    def to_row(self) -> dict[str, Any]:
        return {"time": list(self.time), "ok": list(self.ok),
                "latency_s": [round(latency, 6) for latency in self.latency_s],
                "error": list(self.error), "value": list(self.value)}

    @classmethod
    def from_row(cls, row: Mapping[str, Any] | None) -> SampleColumns:
        row = row or {}
        return cls(tuple(seconds(t) for t in row.get("time", [])), tuple(row.get("ok", [])),
                   tuple(row.get("latency_s", [])), tuple(row.get("error", [])),
                   tuple(row.get("value", [])))


@dataclass(frozen=True)
class ProbeTimeline:
    """One observation's samples, its unavailability windows and every figure derived from them
    (`harness.metrics` names: `longest_unavailable_s`, `changes`, `longest_stall_s`, ...)."""

    name: str
    probe: str
    rate_hz: float
    samples: SampleColumns
    windows: tuple[WindowRecord, ...]
    figures: Figures
    fault_at: float | None = None
    observation: str | None = None  # the scenario's name for it: `api` in `api.longest_unavailable_s`
    scenario: str | None = None  # the scenario's slug, as its journal and measurements name it
    nodeid: str | None = None
    events: tuple[EventRecord, ...] = ()  # version 1 only: the scenario's events, copied in

    def figure(self, spec: metrics.MetricSpec) -> float | None:
        return self.figures.get(spec.name)

    def to_row(self) -> Timeline:
        return Timeline(name=self.name, kind=PROBE_KIND, nodeid=self.nodeid, data={
            "probe": self.probe, "observation": self.observation, "scenario": self.scenario,
            "rate_hz": self.rate_hz, "fault_at": self.fault_at, "samples": self.samples.to_row(),
            "windows": [w.to_row() for w in self.windows], "figures": dict(self.figures)})

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> ProbeTimeline:
        data: Mapping[str, Any] = row["data"]
        figures = figures_of(data.get("figures"))
        for spec in _V1_FIGURES:  # version 1
            if spec.name in data and spec.name not in figures:
                figures[spec.name] = number(data[spec.name])
        fault_at = data.get("fault_at")
        observation, scenario = data.get("observation"), data.get("scenario")
        name = str(row.get("name"))
        if "observation" not in data and row.get("nodeid") and "." in name:  # version 1: slug.obs
            scenario, observation = name.split(".", 1)
        return cls(
            name=name, probe=str(data.get("probe") or name),
            rate_hz=number(data.get("rate_hz")) or 0.0, samples=SampleColumns.from_row(data.get("samples")),
            windows=tuple(WindowRecord.from_row(w) for w in data.get("windows", [])), figures=figures,
            fault_at=None if fault_at is None else seconds(fault_at),
            observation=None if observation is None else str(observation),
            scenario=None if scenario is None else str(scenario), nodeid=_text(row.get("nodeid")),
            events=tuple(EventRecord.from_row(e) for e in data.get("events", []) if "time" in e))


@dataclass(frozen=True)
class EventsTimeline:
    """What the target stamped during a test or scenario; a scenario's adds the event figures
    its expectations read (`events.vip_moved.count`, `events.vip_moved.after_fault_s`)."""

    name: str
    events: tuple[EventRecord, ...]
    figures: Figures = field(default_factory=dict)
    nodeid: str | None = None

    def to_row(self) -> Timeline:
        data: dict[str, Any] = {"events": [e.to_row() for e in self.events]}
        if self.figures:
            data["figures"] = dict(self.figures)
        return Timeline(name=self.name, kind=EVENTS_KIND, nodeid=self.nodeid, data=data)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> EventsTimeline:
        data: Mapping[str, Any] = row["data"]
        return cls(str(row.get("name")),
                   tuple(EventRecord.from_row(e) for e in data.get("events", []) if "time" in e),
                   figures_of(data.get("figures")), _text(row.get("nodeid")))


def _text(value: object) -> str | None:
    return None if value is None else str(value)
