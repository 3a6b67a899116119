"""A scenario result as typed run-file records: its journal, one probe timeline per observation,
and its events; each figure in exactly one of them.

An observation's figures (`harness.metrics`) live in its probe timeline, the event figures in the
events timeline; the journal keeps each expectation's metric, limit and verdict, not a copy of the
measured value. Readers derive the trended `chaos.<observation>.<figure>` series from the probe
timelines (`harness.results.trended_measurements`).
"""

from __future__ import annotations

from dataclasses import dataclass

from harness import metrics as catalogue
from harness.chaos.result import ObservationResult, ScenarioResult
from harness.results import (
    EventRecord,
    EventsTimeline,
    ExpectationRecord,
    ProbeTimeline,
    SampleColumns,
    ScenarioRecord,
    StepRecord,
    Timeline,
    WindowRecord,
)


@dataclass(frozen=True)
class ScenarioRecords:
    scenario: ScenarioRecord
    probes: tuple[ProbeTimeline, ...]
    events: EventsTimeline

    def rows(self) -> list[Timeline]:
        return [self.scenario.to_row(), *(p.to_row() for p in self.probes), self.events.to_row()]


def scenario_slug(result: ScenarioResult) -> str:
    return "".join(c if c.isalnum() else "-" for c in result.title.lower()).strip("-")


def _figures(result: ScenarioResult, observation: ObservationResult) -> dict[str, float | None]:
    """The observation's figures under their catalogue names, as the runner measured them."""
    found = {}
    for spec in catalogue.observation_specs(observation.probe):
        key = f"{observation.name}.{spec.name}"
        if key in result.metrics:
            found[spec.name] = result.metrics[key]
    return found


def _probe(result: ScenarioResult, observation: ObservationResult, slug: str,
           nodeid: str | None) -> ProbeTimeline:
    samples = observation.samples
    return ProbeTimeline(
        name=f"{slug}.{observation.name}", probe=observation.probe, rate_hz=observation.rate_hz,
        samples=SampleColumns(tuple(s.time for s in samples), tuple(s.ok for s in samples),
                              tuple(s.latency_s for s in samples), tuple(s.error for s in samples),
                              tuple(s.value for s in samples)),
        windows=tuple(WindowRecord(w.start, w.end, w.failed_samples, w.recovered, w.first_error)
                      for w in observation.availability.windows),
        figures=_figures(result, observation), fault_at=result.fault_at,
        observation=observation.name, scenario=slug, nodeid=nodeid)


def result_records(result: ScenarioResult, *, nodeid: str | None = None) -> ScenarioRecords:
    slug = scenario_slug(result)
    scenario = ScenarioRecord(
        name=f"{slug}.journal", title=result.title, source=result.source, target=result.target,
        status=result.status, deviated=result.deviated, passed=result.passed,
        started=result.started, ended=result.ended, fault_at=result.fault_at,
        bindings=dict(result.bindings), error=result.error, nodeid=nodeid,
        steps=tuple(StepRecord(e.name, e.start, e.end, e.status, e.output, e.error)
                    for e in result.journal),
        expectations=tuple(ExpectationRecord(r.expectation.text, r.expectation.metric, r.limit,
                                             r.ok, r.measured) for r in result.expectations))
    events = EventsTimeline(
        name=f"{slug}.events", nodeid=nodeid,
        events=tuple(EventRecord(e.time, e.kind, e.node, e.detail) for e in result.events),
        figures={k: v for k, v in result.metrics.items() if k.startswith(catalogue.EVENTS_PREFIX)})
    probes = tuple(_probe(result, o, slug, nodeid) for o in result.observations)
    return ScenarioRecords(scenario, probes, events)


def result_rows(result: ScenarioResult, *, nodeid: str | None = None) -> list[Timeline]:
    """What the pytest item and the CLI record into the run file."""
    return result_records(result, nodeid=nodeid).rows()
