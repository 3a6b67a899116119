"""A tiny SVG geometry builder: sparklines and timeline lanes as numbers, drawn by the template.

Hand-drawn paths keep 100 trend charts under a few milliseconds each, where a matplotlib figure
costs ~50 ms; long series are bucketed into min/max pairs (two points per pixel at most).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from harness.report.model import Mark, Spark

PAD = 2.0


def _fmt(number: float) -> str:
    return f"{number:.1f}".rstrip("0").rstrip(".")


def envelope(values: Sequence[float], width: int) -> tuple[list[float], list[float]]:
    """(x positions in run-index units, values) reduced to a min/max pair per pixel bucket.

    Each bucket becomes a vertical stroke from its minimum to its maximum at the bucket's
    middle, which is what a chart this narrow can show anyway.
    """
    array = np.asarray(values, dtype=float)
    n = array.size
    if n <= 2 * width:
        return [float(i) for i in range(n)], array.tolist()
    edges = np.unique(np.linspace(0, n, width + 1).astype(int)[:-1])
    lows = np.fmin.reduceat(array, edges)  # fmin/fmax skip NaN unless a bucket is all NaN
    highs = np.fmax.reduceat(array, edges)
    middles = (edges + np.append(edges[1:], n) - 1) / 2
    xs = np.repeat(middles, 2)
    ys = np.column_stack([lows, highs]).ravel()
    return xs.tolist(), ys.tolist()


def sparkline(values: Sequence[float], marks: Sequence[tuple[int, str, str]] = (),
              width: int = 200, height: int = 36) -> Spark:
    """Geometry for one trend: `marks` are (run index, kind, title) drawn as vertical lines."""
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return Spark(width, height, "", [], None, 0.0, 0.0)
    low, high = min(finite), max(finite)
    span = (high - low) or abs(high) or 1.0
    n = len(values)

    def x_of(i: float) -> float:
        return PAD + (width - 2 * PAD) * (i / (n - 1) if n > 1 else 0.5)

    def y_of(v: float) -> float:
        return PAD + (height - 2 * PAD) * (1 - (v - low) / span)

    xs, ys = envelope(values, width)
    parts: list[str] = []
    pen_down = False
    for i, v in zip(xs, ys, strict=True):
        if not math.isfinite(v):
            pen_down = False  # a run without this metric: lift the pen
            continue
        parts.append(("L" if pen_down else "M") + _fmt(x_of(i)) + " " + _fmt(y_of(v)))
        pen_down = True
    last = next((i for i in range(n - 1, -1, -1) if math.isfinite(values[i])), None)
    dot = (x_of(last), y_of(values[last])) if last is not None else None
    return Spark(width, height, "".join(parts),
                 [Mark(x_of(i), kind, title) for i, kind, title in marks], dot, low, high)


def scale(value: float, start: float, end: float, width: float) -> float:
    """Map `value` in [start, end] onto [0, width]; used by timeline lanes."""
    if end <= start:
        return 0.0
    return max(0.0, min(width, (value - start) / (end - start) * width))
