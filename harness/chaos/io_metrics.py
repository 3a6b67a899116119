"""Metrics of storage observations, read from their timelines (pure functions, unit-tested).

`storage.rbd_write` (one sample per completed I/O, started = completion - latency, value = bytes):
- `longest_stall_s`: the longest time no I/O completed, from the first completion to the end of
  the writer (I/O still stuck when fio ended counts until then);
- `latency_p50_steady_ms`: the p50 latency of I/Os completed before the fault;
- `latency_p99_ms`, `latency_max_ms`: of I/Os completed after the fault; `latency_spike`: max/p50;
- `continued_mib`: MiB completed after the longest stall ended and before the node's power-on
  (I/O continued while the node was still off: min_size let the PGs serve degraded).

`storage.health` (value = health, ` degraded` appended while PGs are):
- `degraded_samples`: samples that saw degraded PGs;
- `ok_after_power_on_s`: from the power-on to the first HEALTH_OK sample after which every sample
  stayed HEALTH_OK; None when the observation ended before that.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

from harness import metrics
from harness.metrics import MetricSpec
from harness.probes import Sample

MIB = 1 << 20


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0-100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def longest_stall(completions: Sequence[float], *, ended: float | None) -> tuple[float, float | None]:
    """(length, end) of the longest gap between completions (and after the last one, to `ended`)."""
    times = sorted(completions)
    if not times:
        return 0.0, None
    edges = [*times, ended] if ended is not None and ended > times[-1] else times
    best: tuple[float, float | None] = (0.0, None)
    for before, after in pairwise(edges):
        if after - before > best[0]:
            best = (after - before, after)
    return best[0], best[1]


def _ms(value: float | None) -> float | None:
    return None if value is None else value * 1000


def write_metrics(name: str, samples: Sequence[Sample], *, fault_at: float | None,
                  power_on_at: float | None, ended: float | None) -> dict[str, float | None]:
    done = sorted((s.time + s.latency_s, s.latency_s, int(s.value or 0)) for s in samples if s.ok)
    stall_s, stall_end = longest_stall([t for t, _, _ in done], ended=ended)
    before = [lat for t, lat, _ in done if fault_at is None or t < fault_at]
    after = [lat for t, lat, _ in done if fault_at is not None and t >= fault_at]
    steady = percentile(before, 50)
    worst = max(after) if after else None
    continued = None
    if stall_end is not None and power_on_at is not None:
        continued = sum(size for t, _, size in done if stall_end <= t < power_on_at) / MIB
    return _named(name, {
        metrics.COMPLETED: float(len(done)),
        metrics.WRITTEN_MIB: sum(size for _, _, size in done) / MIB,
        metrics.LONGEST_STALL: stall_s,
        metrics.LATENCY_P50_STEADY: _ms(steady),
        metrics.LATENCY_P99: _ms(percentile(after, 99)),
        metrics.LATENCY_MAX: _ms(worst),
        metrics.LATENCY_SPIKE: worst / steady if worst is not None and steady else None,
        metrics.CONTINUED_MIB: continued,
    })


def health_metrics(name: str, samples: Sequence[Sample], *,
                   power_on_at: float | None) -> dict[str, float | None]:
    answered = sorted((s for s in samples if s.ok), key=lambda s: s.time)
    degraded = sum("degraded" in (s.value or "") for s in answered)
    back: float | None = None
    if power_on_at is not None:
        for sample in reversed([s for s in answered if s.time >= power_on_at]):
            if sample.value != "HEALTH_OK":
                break
            back = sample.time - power_on_at
    return _named(name, {metrics.DEGRADED_SAMPLES: float(degraded), metrics.OK_AFTER_POWER_ON: back})


def _named(observation: str, figures: dict[MetricSpec, float | None]) -> dict[str, float | None]:
    """`{observation}.{spec name}`, as expectations read them."""
    return {f"{observation}.{spec.name}": value for spec, value in figures.items()}
