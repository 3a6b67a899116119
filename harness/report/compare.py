"""Two runs side by side; a difference is highlighted only when it is bigger than the noise."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from harness.errors import HarnessError
from harness.report import detect
from harness.report.analysis import differences, series_matrix
from harness.report.model import Difference, RunInfo
from harness.results.scrub import scrub_text

COMPARE_SIGMAS = 3.0


@dataclass(frozen=True)
class CompareRow:
    series: str
    unit: str
    a: float | None
    b: float | None
    change: float | None
    noise: float  # robust sigma of the series over the history, same unit as the values
    kind: str  # regression | improvement | "" when within the noise or below min_rel


@dataclass(frozen=True)
class Comparison:
    a: RunInfo
    b: RunInfo
    changes: list[Difference]
    rows: list[CompareRow]

    @property
    def flagged(self) -> int:
        return sum(1 for r in self.rows if r.kind)


def resolve_run(infos: list[RunInfo], ref: str) -> RunInfo:
    """A run by id, label, or unique id prefix."""
    exact = [i for i in infos if ref in (i.id, i.label)]
    matches = exact or [i for i in infos if i.id.startswith(ref)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise HarnessError(f"no run matches {ref!r}: give a run id (see reports/runs/) or label")
    raise HarnessError(f"{ref!r} matches {len(matches)} runs: give more of the run id")


def compare(measurements: pd.DataFrame, infos: list[RunInfo], a: RunInfo, b: RunInfo,
            min_rel: float = detect.MIN_REL_CHANGE) -> Comparison:
    """Per-series noise comes from every run on B's profile and target."""
    history = [i for i in infos if (i.profile, i.target) == (b.profile, b.target)]
    matrix = series_matrix(measurements, history)
    pair = series_matrix(measurements, [a, b])
    meta = measurements.drop_duplicates("series", keep="last").set_index("series")
    rows = []
    for name in pair.columns:
        va, vb = (_value(pair.loc[run.id, name]) for run in (a, b))
        sigma = detect.noise_sigma(matrix[name].dropna().to_numpy()) if name in matrix else 0.0
        change, kind = None, ""
        if va is not None and vb is not None:
            change = detect.rel_change(va, vb)
            # the difference of two noisy samples has sigma*sqrt(2)
            if detect.significant(vb - va, va, sigma * math.sqrt(2), min_rel, COMPARE_SIGMAS):
                kind = detect.kind_of(change, bool(meta.loc[name, "higher_is_better"]))
        rows.append(CompareRow(scrub_text(str(name)), str(meta.loc[name, "unit"]), va, vb, change,
                               sigma, kind))
    rows.sort(key=lambda r: (r.kind == "", r.kind != "regression", r.series))
    return Comparison(a, b, differences(a, b), rows)


def _value(cell: Any) -> float | None:
    return None if cell is None or pd.isna(cell) else float(cell)
