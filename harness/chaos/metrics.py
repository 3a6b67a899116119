"""Metrics of a run, named as expectations read them: `api.longest_unavailable_s`, `events.x.count`."""

from __future__ import annotations

from collections.abc import Sequence

from harness import metrics as catalogue
from harness.chaos.io_metrics import health_metrics, write_metrics
from harness.chaos.model import ObserveProbe
from harness.chaos.result import ObservationResult
from harness.probes import Sample, summarize, value_changes
from harness.targets.base import Event


def observation_result(name: str, probe: ObserveProbe, rate_hz: float, samples: Sequence[Sample],
                       *, fault_at: float | None, ended: float | None = None) -> ObservationResult:
    changes = None if str(probe) in catalogue.PLAIN_PROBES else value_changes(samples)
    return ObservationResult(name, str(probe), rate_hz, tuple(samples),
                             summarize(samples, fault_at=fault_at), changes, ended)


def observation_metrics(result: ObservationResult) -> dict[str, float | None]:
    metrics = {f"{result.name}.{name}": value for name, value in result.availability.figures().items()}
    if result.changes is not None:
        metrics[f"{result.name}.{catalogue.CHANGES.name}"] = float(result.changes)
    return metrics


def event_metrics(events: Sequence[Event], *, fault_at: float | None) -> dict[str, float | None]:
    """Per event kind: how many, and how long after the first fault the first one came.

    Ground truth a target stamps (`vip-moved`, `leader-elected`) checks the measured windows.
    """
    metrics: dict[str, float | None] = {}
    for kind in sorted({e.kind for e in events}):
        key = catalogue.event_key(kind)
        of_kind = [e for e in events if e.kind == kind]
        metrics[f"{key}.{catalogue.EVENT_COUNT.name}"] = float(len(of_kind))
        after = [e.time for e in of_kind if fault_at is not None and e.time >= fault_at]
        metrics[f"{key}.{catalogue.EVENT_AFTER_FAULT.name}"] = (min(after) - fault_at
                                                               if after and fault_at else None)
    return metrics


def all_metrics(observations: Sequence[ObservationResult], events: Sequence[Event],
                *, fault_at: float | None) -> dict[str, float | None]:
    metrics: dict[str, float | None] = {}
    power_ons = [e.time for e in events if e.kind == "power-on" and fault_at and e.time >= fault_at]
    power_on_at = min(power_ons) if power_ons else None
    for result in observations:
        metrics.update(observation_metrics(result))
        if result.probe == ObserveProbe.RBD_WRITE:
            metrics.update(write_metrics(result.name, result.samples, fault_at=fault_at,
                                         power_on_at=power_on_at, ended=result.ended))
        elif result.probe == ObserveProbe.STORAGE_HEALTH:
            metrics.update(health_metrics(result.name, result.samples, power_on_at=power_on_at))
    metrics.update(event_metrics(events, fault_at=fault_at))
    return metrics
