"""Run-to-run noise of every recorded figure: how far a series moves between runs of one profile
when nothing changed, the yardstick for a benchmark's length and for a regression threshold.

One figure per run per series (the mean when a run recorded a series more than once); then the
mean, the sample standard deviation and their ratio, the coefficient of variation, over the
newest runs that passed. A series seen in fewer than `min_runs` runs has no spread to speak of
and is left out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from harness.results.frames import RunFrames


@dataclass(frozen=True)
class SeriesNoise:
    series: str
    unit: str
    runs: int
    mean: float
    stdev: float
    low: float
    high: float

    @property
    def cv(self) -> float:
        """stdev / |mean|; infinite for a series whose mean is 0 but which still moves."""
        if self.mean == 0:
            return 0.0 if self.stdev == 0 else math.inf
        return self.stdev / abs(self.mean)


def chosen_runs(frames: RunFrames, *, last: int, profile: str | None = None,
                statuses: tuple[str, ...] = ("passed",), depth: str | None = None) -> list[str]:
    """Ids of the newest `last` runs of `profile` (any, if None) whose status is one of `statuses`,
    at benchmark `depth` (`quick`, `full`; any, if None: quick and full runs differ in length)."""
    runs = frames.runs
    if profile is not None:
        runs = runs[runs["profile"].astype(str) == profile]
    if depth is not None:
        runs = runs[runs["depth"].astype(str) == depth]
    runs = runs[runs["status"].astype(str).isin(statuses)]
    return [str(run_id) for run_id in runs.tail(max(last, 0))["run_id"]]


def series_noise(frames: RunFrames, run_ids: list[str], *, min_runs: int = 3,
                 metric_prefix: str = "") -> list[SeriesNoise]:
    """Each series' spread over `run_ids`, noisiest first (by coefficient of variation)."""
    rows = frames.measurements
    rows = rows[rows["run_id"].astype(str).isin(run_ids)]
    if metric_prefix:
        rows = rows[rows["metric"].astype(str).str.startswith(metric_prefix)]
    if rows.empty:
        return []
    per_run = (rows.assign(value=pd.to_numeric(rows["value"], errors="coerce"))
               .groupby(["series", "run_id"], sort=False)
               .agg(value=("value", "mean"), unit=("unit", "first")).reset_index())
    found = []
    for series, group in per_run.groupby("series", sort=False):
        values = group["value"].dropna()
        if len(values) < min_runs:
            continue
        found.append(SeriesNoise(series=str(series), unit=str(group["unit"].iloc[0]), runs=len(values),
                                 mean=float(values.mean()), stdev=float(values.std(ddof=1)),
                                 low=float(values.min()), high=float(values.max())))
    return sorted(found, key=lambda n: (-n.cv, n.series))
