"""Per-run sections as geometry and cells: failover timelines and the policy matrix.

Each builder returns None when the run has no such data, so the template shows only what exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from harness.report.svg import scale

LANE_WIDTH = 900
LANE_HEIGHT = 22


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


def _seconds(value: Any) -> float:
    """Probe times may be seconds (relative or epoch) or ISO-8601 strings."""
    if isinstance(value, int | float):
        return float(value)
    return datetime.fromisoformat(str(value)).timestamp()


def _stored_figure(data: dict[str, Any], name: str) -> float | None:
    """A figure the probe derived when it ran (harness/probes/windows.py); None if absent."""
    value = data.get(name)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _sample_columns(data: dict[str, Any]) -> tuple[list[Any], list[Any]]:
    """Times and ok flags of a probe timeline (columns, see harness/results/FORMAT.md)."""
    samples = data.get("samples") or {}
    return list(samples.get("time", [])), list(samples.get("ok", []))


def _window_bounds(data: dict[str, Any]) -> list[tuple[float, float]]:
    return [(_seconds(w["start"]), _seconds(w["end"])) for w in data.get("windows", [])]


def failover(timelines: list[dict[str, Any]]) -> Failover | None:
    probes = [t for t in timelines if t.get("kind") == "probe" and isinstance(t.get("data"), dict)]
    if not probes:
        return None
    instants: list[float] = []
    for probe in probes:
        data = probe["data"]
        instants += [_seconds(t) for t in _sample_columns(data)[0]]
        instants += [t for bounds in _window_bounds(data) for t in bounds]
        instants += [_seconds(e["time"]) for e in data.get("events", []) if "time" in e]
    start, end = (min(instants), max(instants)) if instants else (0.0, 1.0)
    lanes, faults, seen = [], [], set()
    for row, probe in enumerate(probes):
        data = probe["data"]
        _, oks = _sample_columns(data)
        windows = []
        for a, b in _window_bounds(data):
            x = scale(a, start, end, LANE_WIDTH)
            width = max(2.0, scale(b, start, end, LANE_WIDTH) - x)
            windows.append(Box(x, width, f"unavailable {a - start:+.1f} s … {b - start:+.1f} s "
                                         f"({b - a:.1f} s)"))
        lanes.append(Lane(str(probe.get("name")), row * (LANE_HEIGHT + 8) + 18, windows,
                          _stored_figure(data, "availability_pct"),
                          _stored_figure(data, "longest_unavailable_s"), len(oks)))
        for event in data.get("events", []):
            key = (event.get("time"), event.get("kind"), event.get("node"))
            if "time" in event and key not in seen:
                seen.add(key)
                at = _seconds(event["time"])
                label = f"{event.get('kind', 'fault')} {event.get('node') or ''}".strip()
                faults.append(Fault(scale(at, start, end, LANE_WIDTH), label,
                                    f"{label} at {at - start:+.1f} s: {event.get('detail') or ''}"))
    ticks = [(scale(start + (end - start) * i / 5, start, end, LANE_WIDTH),
              f"{(end - start) * i / 5:.0f} s") for i in range(6)]
    height = len(lanes) * (LANE_HEIGHT + 8) + 40
    return Failover(LANE_WIDTH, height, lanes, faults, ticks)


def policy(timelines: list[dict[str, Any]]) -> Policy | None:
    pairs = [p for t in timelines if t.get("kind") == "policy-matrix"
             for p in (t.get("data") or {}).get("pairs", [])]
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
