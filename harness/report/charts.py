"""Detailed matplotlib trend charts, drawn only for flagged series (~40 ms each, measured).

Every other series gets a hand-drawn sparkline (svg.py); drawing 100 figures here would take
four seconds on its own.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

from harness.report.model import Chart, RunInfo, SeriesRow

MAX_CHARTS = 12
_COLORS = {"regression": "#c62828", "improvement": "#2e7d32", "version": "#757575"}


def trend_charts(rows: Sequence[SeriesRow], values: dict[str, list[float]],
                 history: list[RunInfo], versions: list[tuple[int, str]]) -> list[Chart]:
    """PNG (base64) per flagged row: values over runs, change points and version changes marked."""
    flagged = [r for r in rows if r.flag != "ok"][:MAX_CHARTS]
    if not flagged:
        return []
    import matplotlib  # imported late: a report without flags never pays for it

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    charts = []
    for row in flagged:
        series = values[row.series]
        # Constrained layout shrinks the axes to fit long titles and version marks (tight_layout
        # warned and gave up on those).
        figure, axes = plt.subplots(figsize=(9, 2.4), dpi=90, layout="constrained")
        axes.plot(range(len(series)), series, lw=0.9, color="#1565c0")
        for at, text in versions:
            axes.axvline(at, color=_COLORS["version"], lw=0.7, ls=":")
            axes.annotate(text, (at, 1), xycoords=("data", "axes fraction"), fontsize=6,
                          rotation=90, va="top", ha="right", color=_COLORS["version"],
                          in_layout=False)  # drawn inside the axes; a long one must not squash them
        positions = _positions(series)  # change points index the series without its gaps
        for point in row.verdict.change_points:
            at = positions[point.index]
            axes.axvline(at, color=_COLORS[point.kind], lw=1.4)
            axes.hlines(point.after, at, len(series) - 1, color=_COLORS[point.kind], lw=0.8,
                        ls="--")
            axes.annotate(f"{point.rel_change:+.1%}", (at, point.after), fontsize=7,
                          color=_COLORS[point.kind], xytext=(3, 3), textcoords="offset points")
        axes.set_title(f"{row.series} ({row.unit}): {row.flag}", fontsize=9, loc="left")
        axes.set_xlabel(f"run ({history[0].id} … {history[-1].id})", fontsize=7)
        axes.tick_params(labelsize=7)
        axes.grid(alpha=0.25)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        plt.close(figure)
        charts.append(Chart(row.series, base64.b64encode(buffer.getvalue()).decode("ascii")))
    return charts


def _positions(series: Sequence[float]) -> list[int]:
    return [i for i, v in enumerate(series) if v == v]
