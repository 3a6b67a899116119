"""Regression detection: change points that are real (beyond the noise) and big enough (≥ 5 %).

Pure functions over one series of values, oldest first. `ruptures` segments the series (Pelt
with a linear kernel, i.e. a least-squares mean-shift model, in ruptures' C implementation: about
1 ms for 1,000 points); the penalty is scaled to the series' own noise, so a noisy metric needs a
bigger step than a quiet one. Steps smaller than `min_rel` are then merged away one by one, the
way asv's step_detect keeps only steps worth reporting. A slow drift made of many small steps
survives no single step, so the early window is also compared with the recent one.

Apache Otava (E-divisive) was the alternative: it pulls BigQuery, Slack and Postgres clients and
pins numpy/scipy; ruptures needs numpy + scipy only (shared/DEPENDENCIES.md).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

import numpy as np
import numpy.typing as npt
import ruptures as rpt

Kind = Literal["regression", "improvement"]
Status = Literal["ok", "regression", "improvement", "drift-regression", "drift-improvement"]

MIN_REL_CHANGE = 0.05
PENALTY_PER_LOG_N = 4.0  # BIC-like: pen = 4·log(n) on a series scaled to unit noise
MIN_SEGMENT = 3  # a step needs three runs on each side to count as a change point
SMALL_SAMPLE = 10.0  # short histories estimate their noise poorly: raise the penalty there
NOISE_SIGMAS = 4.0  # a single latest value must also stand this far out of the noise
MIN_BASELINE_RUNS = 5  # fewer earlier runs give no usable noise estimate: flag nothing yet

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class ChangePoint:
    index: int  # position of the first value of the new level
    before: float  # median of the segment before
    after: float  # median of the segment after
    rel_change: float  # (after - before) / |before|
    kind: Kind


@dataclass(frozen=True)
class Verdict:
    status: Status
    change_points: tuple[ChangePoint, ...]
    drift_rel: float | None  # recent window vs early window, when that alone flags the series
    noise: float  # robust standard deviation of the series


def kind_of(rel_change: float, higher_is_better: bool) -> Kind:
    better = rel_change > 0 if higher_is_better else rel_change < 0
    return "improvement" if better else "regression"


def rel_change(before: float, after: float) -> float:
    if before == 0:
        return 0.0 if after == 0 else math.copysign(math.inf, after)
    return (after - before) / abs(before)


def noise_sigma(values: Sequence[float] | Floats) -> float:
    """Robust sigma from first differences (MAD): steps barely move it, unlike a plain std."""
    array = np.asarray(values, dtype=float)
    if array.size < 3:
        return 0.0
    diffs = np.diff(array)
    mad = float(np.median(np.abs(diffs - np.median(diffs))))
    return 1.4826 * mad / math.sqrt(2)


def change_points(values: Sequence[float] | Floats, higher_is_better: bool,
                  min_rel: float = MIN_REL_CHANGE, floor_sigma: float = 0.0) -> list[ChangePoint]:
    """Significant level shifts in `values`, each at least `min_rel` relative to the level before;
    `floor_sigma`, the spread of a run's own repeated samples, is the least noise assumed."""
    array = np.asarray(values, dtype=float)
    n = array.size
    if n < 2 * MIN_SEGMENT:
        return []
    sigma = max(noise_sigma(array), floor_sigma)
    scale = sigma if sigma > 0 else max(abs(float(np.median(array))) * 1e-9, 1e-12)
    signal = ((array - float(np.median(array))) / scale).reshape(-1, 1)
    algo = rpt.KernelCPD(kernel="linear", min_size=MIN_SEGMENT).fit(signal)
    penalty = PENALTY_PER_LOG_N * math.log(n) * (1 + SMALL_SAMPLE / n)
    breaks = [int(b) for b in algo.predict(pen=penalty)][:-1]
    breaks = _merge_small_steps(array, breaks, min_rel)
    return [_point(array, breaks, i, higher_is_better) for i in range(len(breaks))]


def _merge_small_steps(array: Floats, breaks: list[int], min_rel: float) -> list[int]:
    """Drop the smallest step below `min_rel`, re-measure its neighbours, repeat."""
    breaks = list(breaks)
    while breaks:
        bounds = [0, *breaks, array.size]
        medians = [float(np.median(array[a:b])) for a, b in pairwise(bounds)]
        steps = [abs(rel_change(medians[i], medians[i + 1])) for i in range(len(breaks))]
        smallest = int(np.argmin(steps))
        if steps[smallest] >= min_rel:
            break
        del breaks[smallest]
    return breaks


def _point(array: Floats, breaks: list[int], i: int, higher_is_better: bool) -> ChangePoint:
    bounds = [0, *breaks, array.size]
    before = float(np.median(array[bounds[i]:bounds[i + 1]]))
    after = float(np.median(array[bounds[i + 1]:bounds[i + 2]]))
    rel = rel_change(before, after)
    return ChangePoint(breaks[i], before, after, rel, kind_of(rel, higher_is_better))


def drift(values: Sequence[float] | Floats, window: int | None = None,
          floor_sigma: float = 0.0) -> float | None:
    """Relative change of the recent window's median against the early window's, or None.

    None too when the two medians are within the noise: the median of `size` samples has a
    standard error of about 1.25·sigma/sqrt(size), and two of them differ by sqrt(2) times that.
    """
    array = np.asarray(values, dtype=float)
    size = window or max(5, min(20, array.size // 10))
    if array.size < 4 * size:  # a drift needs a history well beyond the two windows
        return None
    early, recent = float(np.median(array[:size])), float(np.median(array[-size:]))
    sigma = max(noise_sigma(array), floor_sigma)
    if abs(recent - early) <= NOISE_SIGMAS * 1.2533 * sigma * math.sqrt(2 / size):
        return None
    return rel_change(early, recent)


def assess(values: Sequence[float] | Floats, higher_is_better: bool,
           min_rel: float = MIN_REL_CHANGE, floor_sigma: float = 0.0) -> Verdict:
    """One series' verdict: its last significant change point, else a drift, else ok.

    `floor_sigma` is the typical spread of one run's repeated samples (when the figure records
    them): a run-to-run move inside a single run's own spread is no change, however steady the
    medians were."""
    array = np.asarray(values, dtype=float)
    array = array[~np.isnan(array)]
    sigma = max(noise_sigma(array), floor_sigma)
    points = tuple(change_points(array, higher_is_better, min_rel, floor_sigma))
    if points:
        return Verdict(points[-1].kind, points, None, sigma)
    moved = drift(array, floor_sigma=floor_sigma)
    if moved is not None and abs(moved) >= min_rel:
        status: Status = "drift-" + kind_of(moved, higher_is_better)  # type: ignore[assignment]
        return Verdict(status, points, moved, sigma)
    return Verdict("ok", points, None, sigma)


def significant(delta: float, reference: float, sigma: float, min_rel: float = MIN_REL_CHANGE,
                sigmas: float = NOISE_SIGMAS) -> bool:
    """A single difference worth flagging: big enough relatively and out of the noise."""
    if reference != 0 and abs(delta) / abs(reference) < min_rel:
        return False
    return abs(delta) > sigmas * sigma
