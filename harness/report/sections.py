"""Per-run sections as geometry and cells: failover timelines and the policy matrix, drawn from
the run's typed timeline records (`harness.results.RunTimelines`), never recounted.

Each builder returns None when the run has no such data, so the template shows only what exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.metrics import AVAILABILITY_PCT, LONGEST_UNAVAILABLE, SAMPLES
from harness.report.svg import scale
from harness.results import RunTimelines

LANE_WIDTH = 900
LANE_HEIGHT = 22
POLICY_KIND = "policy-matrix"


@dataclass(frozen=True)
class Box:
    x: float
    width: float
    title: str


@dataclass(frozen=True)
class Lane:
    name: str
    y: float
    windows: list[Box]
    availability_pct: float | None  # as the probe stored it (time-based), never recounted here
    longest_s: float | None  # likewise: the stored longest_unavailable_s
    samples: int


@dataclass(frozen=True)
class Fault:
    x: float
    label: str
    title: str


@dataclass(frozen=True)
class Failover:
    width: int
    height: int
    lanes: list[Lane]
    faults: list[Fault]
    ticks: list[tuple[float, str]]


@dataclass(frozen=True)
class PolicyCell:
    port: str
    expected: str
    observed: str
    ok: bool


@dataclass(frozen=True)
class Policy:
    sources: list[str]
    destinations: list[str]
    cells: list[list[list[PolicyCell]]]
    mismatches: int


def failover(timelines: RunTimelines) -> Failover | None:
    """One lane per probe timeline, its figures as the probe stored them; the events of the same
    tests and scenarios drawn across the lanes."""
    probes = timelines.probes
    if not probes:
        return None
    events = timelines.events_of({p.nodeid for p in probes})
    instants = [t for p in probes for t in p.samples.time]
    instants += [t for p in probes for w in p.windows for t in (w.start, w.end)]
    instants += [e.time for e in events]
    start, end = (min(instants), max(instants)) if instants else (0.0, 1.0)
    lanes = []
    for row, probe in enumerate(probes):
        windows = []
        for window in probe.windows:
            a, b = window.start, window.end
            x = scale(a, start, end, LANE_WIDTH)
            width = max(2.0, scale(b, start, end, LANE_WIDTH) - x)
            windows.append(Box(x, width, f"unavailable {a - start:+.1f} s … {b - start:+.1f} s "
                                         f"({window.duration_s:.1f} s)"))
        counted = probe.figure(SAMPLES)  # version 1 stored no count: the samples then
        lanes.append(Lane(probe.name, row * (LANE_HEIGHT + 8) + 18, windows,
                          probe.figure(AVAILABILITY_PCT), probe.figure(LONGEST_UNAVAILABLE),
                          len(probe.samples.time) if counted is None else int(counted)))
    faults = []
    for event in events:
        label = f"{event.kind} {event.node or ''}".strip()
        faults.append(Fault(scale(event.time, start, end, LANE_WIDTH), label,
                            f"{label} at {event.time - start:+.1f} s: {event.detail}"))
    ticks = [(scale(start + (end - start) * i / 5, start, end, LANE_WIDTH),
              f"{(end - start) * i / 5:.0f} s") for i in range(6)]
    height = len(lanes) * (LANE_HEIGHT + 8) + 40
    return Failover(LANE_WIDTH, height, lanes, faults, ticks)


def policy(timelines: RunTimelines) -> Policy | None:
    pairs = [p for t in timelines.of_kind(POLICY_KIND) for p in t.data.get("pairs", [])
             if isinstance(p, dict)]
    if not pairs:
        return None
    sources = sorted({str(p.get("src")) for p in pairs})
    destinations = sorted({str(p.get("dst")) for p in pairs})
    grid: dict[tuple[str, str], list[PolicyCell]] = {}
    for p in pairs:
        cell = PolicyCell(str(p.get("port", "")), str(p.get("expected")), str(p.get("observed")),
                          p.get("expected") == p.get("observed"))
        grid.setdefault((str(p.get("src")), str(p.get("dst"))), []).append(cell)
    cells = [[grid.get((s, d), []) for d in destinations] for s in sources]
    mismatches = sum(1 for items in grid.values() for c in items if not c.ok)
    return Policy(sources, destinations, cells, mismatches)
