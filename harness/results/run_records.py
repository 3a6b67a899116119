"""One run's timelines as typed records, and the trended series their figures stand for.

A version 2 run file writes each figure once, in the timeline it belongs to; the measurement
series the report trends (`chaos.api.longest_unavailable_s{probe=...,scenario=...}`) are read out
of the probe timelines here rather than written a second time. Version 1 files wrote them as
measurements, so they are derived only from version 2 files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from harness import metrics as catalogue
from harness.results.probe_records import (
    EVENTS_KIND,
    PROBE_KIND,
    EventRecord,
    EventsTimeline,
    Figures,
    ProbeTimeline,
    number,
)
from harness.results.records import Timeline
from harness.results.scenario_records import JOURNAL_KIND, ScenarioRecord

FIGURES_IN_TIMELINES = 2
"""The first format version that keeps chaos figures in their probe timelines only."""


@dataclass(frozen=True)
class RunTimelines:
    """Every timeline of one run: probes, events and scenario journals typed; other kinds
    (`policy-matrix`, `facts`) as stored."""

    probes: tuple[ProbeTimeline, ...] = ()
    events: tuple[EventsTimeline, ...] = ()
    scenarios: tuple[ScenarioRecord, ...] = ()
    others: tuple[Timeline, ...] = ()

    def of_kind(self, kind: str) -> list[Timeline]:
        return [t for t in self.others if t.kind == kind]

    def events_of(self, nodeids: set[str | None]) -> list[EventRecord]:
        """Events of these tests or scenarios, each once (version 1 copied them into probes)."""
        found = [e for t in self.events if t.nodeid in nodeids for e in t.events]
        found += [e for p in self.probes if p.nodeid in nodeids for e in p.events]
        return list(dict.fromkeys(found))

    @classmethod
    def from_rows(cls, rows: Sequence[Mapping[str, Any]]) -> RunTimelines:
        probes = tuple(ProbeTimeline.from_row(r) for r in rows if r["kind"] == PROBE_KIND)
        events = tuple(EventsTimeline.from_row(r) for r in rows if r["kind"] == EVENTS_KIND)
        scenarios = tuple(ScenarioRecord.from_row(r, scenario_figures(r, probes, events))
                          for r in rows if r["kind"] == JOURNAL_KIND)
        others = tuple(Timeline(str(r["name"]), str(r["kind"]), dict(r["data"]), r.get("nodeid"))
                       for r in rows if r["kind"] not in (PROBE_KIND, EVENTS_KIND, JOURNAL_KIND))
        return cls(probes, events, scenarios, others)


def scenario_figures(journal: Mapping[str, Any], probes: Sequence[ProbeTimeline],
                     events: Sequence[EventsTimeline]) -> Figures:
    """The figures of the journal's scenario, named as its expectations read them."""
    nodeid, slug = journal.get("nodeid"), str(journal.get("name")).removesuffix(".journal")
    figures: Figures = {}
    for probe in probes:
        if probe.nodeid == nodeid and probe.scenario in (slug, None) and probe.observation:
            figures.update({f"{probe.observation}.{k}": v for k, v in probe.figures.items()})
    for timeline in events:
        if timeline.nodeid == nodeid:
            figures.update(timeline.figures)
    return figures


def trended_measurements(timelines: Sequence[Mapping[str, Any]], *, version: int,
                         when: str) -> list[dict[str, Any]]:
    """Measurement rows (FORMAT.md) for the trended figures of a run's probe timelines; none
    from version 1 files, which wrote them as measurements. Read from the rows directly: a
    listing of many runs needs the figures, not the samples."""
    if version < FIGURES_IN_TIMELINES:
        return []
    rows = []
    for timeline in timelines:
        data = timeline["data"]
        observation, figures = data.get("observation"), data.get("figures")
        if timeline["kind"] != PROBE_KIND or not observation or not isinstance(figures, Mapping):
            continue
        probe = str(data.get("probe"))
        tags = {"scenario": str(data.get("scenario") or ""), "probe": probe}
        for spec in catalogue.observation_specs(probe):
            value = number(figures.get(spec.name))
            if spec.trended and value is not None:
                rows.append({"metric": catalogue.chaos_metric(str(observation), spec), "value": value,
                             "unit": spec.unit, "higher_is_better": spec.higher_is_better,
                             "ceiling": None, "tags": tags, "nodeid": timeline.get("nodeid"),
                             "time": _instant(data, when)})
    return rows


def _instant(data: Mapping[str, Any], fallback: str) -> str:
    """When the figures were measured: the fault, else the run's start."""
    fault_at = number(data.get("fault_at"))
    if fault_at is None:
        return fallback
    return datetime.fromtimestamp(fault_at, UTC).isoformat(timespec="milliseconds")
