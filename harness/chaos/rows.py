"""A scenario result as run-file rows: timelines (journal, samples, windows, events) and measurements."""

from __future__ import annotations

from dataclasses import asdict

from harness.chaos.result import ScenarioResult
from harness.metrics import chaos_metric, observation_specs
from harness.results.records import Measurement, Timeline


def scenario_slug(result: ScenarioResult) -> str:
    return "".join(c if c.isalnum() else "-" for c in result.title.lower()).strip("-")


def result_timelines(result: ScenarioResult, *, nodeid: str | None = None) -> list[Timeline]:
    slug = scenario_slug(result)
    rows = [Timeline(name=f"{slug}.journal", kind="chaos-journal", nodeid=nodeid, data={
        "title": result.title, "source": result.source, "target": result.target,
        "status": result.status, "deviated": result.deviated, "passed": result.passed,
        "started": result.started, "ended": result.ended, "fault_at": result.fault_at,
        "bindings": result.bindings, "error": result.error,
        "steps": [{**asdict(e), "duration_s": e.duration_s} for e in result.journal],
        "expectations": [{"text": r.expectation.text, "measured": r.measured, "limit": r.limit,
                          "ok": r.ok} for r in result.expectations],
        "metrics": result.metrics,
    })]
    for obs in result.observations:
        a = obs.availability
        rows.append(Timeline(name=f"{slug}.{obs.name}", kind="probe", nodeid=nodeid, data={
            "probe": obs.probe, "rate_hz": obs.rate_hz, "fault_at": result.fault_at,
            # Columns rather than row dicts: a 20 Hz timeline stays small in the run file.
            "samples": {
                "time": [s.time for s in obs.samples], "ok": [s.ok for s in obs.samples],
                "latency_s": [round(s.latency_s, 6) for s in obs.samples],
                "error": [s.error for s in obs.samples], "value": [s.value for s in obs.samples],
            },
            "windows": [{**asdict(w), "duration_s": w.duration_s} for w in a.windows],
            "events": [asdict(e) for e in result.events],  # fault instants drawn on the lane
            "longest_unavailable_s": a.longest_unavailable_s,
            "availability_pct": a.availability_pct,
            "time_to_first_failure_s": a.time_to_first_failure_s,
            "time_to_recovery_s": a.time_to_recovery_s,
            "changes": obs.changes,
        }))
    rows.append(Timeline(name=f"{slug}.events", kind="events", nodeid=nodeid,
                         data={"events": [asdict(e) for e in result.events]}))
    return rows


def result_measurements(result: ScenarioResult, *, nodeid: str | None = None) -> list[Measurement]:
    slug = scenario_slug(result)
    rows: list[Measurement] = []
    for obs in result.observations:
        for spec in observation_specs(obs.probe):
            value = result.metrics.get(f"{obs.name}.{spec.name}")
            if spec.trended and value is not None:
                rows.append(Measurement(metric=chaos_metric(obs.name, spec), value=value,
                                        unit=spec.unit, higher_is_better=spec.higher_is_better,
                                        nodeid=nodeid, tags={"scenario": slug, "probe": obs.probe}))
    return rows


def result_rows(result: ScenarioResult, *,
                nodeid: str | None = None) -> tuple[list[Timeline], list[Measurement]]:
    """What the pytest item and the CLI record into the run file."""
    return result_timelines(result, nodeid=nodeid), result_measurements(result, nodeid=nodeid)
