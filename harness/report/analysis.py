"""Frames in, plain values out: the latest run at a glance and one row per metric series."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from typing import Any

import numpy as np
import pandas as pd

from harness.report import detect
from harness.report.failures import split_message
from harness.report.model import (
    Difference,
    FailedCheck,
    Glance,
    MetricValue,
    RunInfo,
    SeriesRow,
    SuiteStatus,
)
from harness.report.svg import sparkline
from harness.results.scrub import scrub, scrub_text

BASELINE_RUNS = 30  # the baseline is the median of this many previous comparable runs
MAX_VERSION_MARKS = 12
_FLAG_ORDER = {"regression": 0, "drift-regression": 1, "improvement": 2, "drift-improvement": 3}


def _text(value: Any) -> str | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def run_infos(runs: pd.DataFrame) -> list[RunInfo]:
    infos = []
    for index, row in enumerate(runs.to_dict("records")):
        components = {str(k): str(v) for k, v in (row.get("components") or {}).items()}
        infos.append(RunInfo(
            id=str(row["run_id"]), index=index, label=scrub(_text(row.get("label"))),
            target=scrub_text(str(row.get("target"))), profile=scrub_text(str(row.get("profile"))),
            status=str(row.get("status")), started=str(row.get("started")),
            ended=_text(row.get("ended")), harness_version=str(row.get("harness_version")),
            components=scrub(components)))
    return infos


def suite_of(nodeid: str) -> str:
    """The top folder under suites/ (or tests/); a file at the top stands for itself."""
    path = nodeid.split("::", 1)[0]
    parts = [p for p in path.split("/") if p]
    if len(parts) > 2 and parts[0] in ("suites", "scenarios", "tests"):
        parts = parts[1:]
    if len(parts) > 1:
        return parts[0]
    return parts[0].removesuffix(".py") if parts else "(unknown)"


def glance(infos: list[RunInfo], outcomes: list[dict[str, Any]], run: RunInfo) -> Glance:
    """`outcomes` are the run's own outcome rows."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    durations: dict[str, float] = defaultdict(float)
    failures = []
    for row in outcomes:
        suite = suite_of(str(row["nodeid"]))
        counts[suite][str(row["outcome"])] += 1
        durations[suite] += float(row["duration_s"] or 0.0)
        if row["outcome"] in ("failed", "error"):
            text = split_message(scrub_text(_text(row.get("message")) or ""))
            failures.append(FailedCheck(scrub_text(str(row["nodeid"])), str(row["outcome"]),
                                        text.sentence, text.context))
    suites = [SuiteStatus(name, _suite_status(c), dict(c), durations[name])
              for name, c in sorted(counts.items())]
    previous = infos[run.index - 1] if run.index > 0 else None
    return Glance(run, previous, suites, failures, differences(previous, run))


def _suite_status(counts: Counter[str]) -> str:
    if counts["failed"] or counts["error"] or counts["xpassed"]:
        return "failed"
    return "passed" if counts["passed"] or counts["xfailed"] else "skipped"


def differences(before: RunInfo | None, after: RunInfo) -> list[Difference]:
    if before is None:
        return []
    changes = [Difference(what, getattr(before, what), getattr(after, what))
               for what in ("profile", "target", "harness_version")
               if getattr(before, what) != getattr(after, what)]
    for name in sorted(set(before.components) | set(after.components)):
        old, new = before.components.get(name, "—"), after.components.get(name, "—")
        if old != new:
            changes.append(Difference(name, old, new))
    return changes


def comparable(infos: list[RunInfo], run: RunInfo) -> list[RunInfo]:
    """Runs up to `run` on the same profile and target: the only fair history."""
    return [i for i in infos[: run.index + 1] if (i.profile, i.target) == (run.profile, run.target)]


def series_matrix(measurements: pd.DataFrame, runs: list[RunInfo]) -> pd.DataFrame:
    """Runs x series medians (a run may record a series several times), NaN where missing."""
    ids = [r.id for r in runs]
    mine = measurements[measurements["run_id"].isin(ids)]
    matrix = mine.pivot_table(index="run_id", columns="series", values="value", aggfunc="median")
    return matrix.reindex(ids)


def series_rows(measurements: pd.DataFrame, infos: list[RunInfo], run: RunInfo,
                min_rel: float = detect.MIN_REL_CHANGE) -> list[SeriesRow]:
    history = comparable(infos, run)
    matrix = series_matrix(measurements, history)
    mine = measurements[measurements["run_id"].isin(set(matrix.index))]
    meta = {str(row["series"]): row for row in
            mine.drop_duplicates("series", keep="last").to_dict("records")}
    versions = version_marks(history)
    spreads = _sample_spreads(mine, run.id)
    rows = [_series_row(str(name), matrix[name].to_numpy(dtype=float), meta[str(name)],
                        history, versions, min_rel, spreads.get(str(name), (0.0, None)))
            for name in matrix.columns]
    return sorted(rows, key=lambda r: (_FLAG_ORDER.get(r.flag, 9), r.series))


def _sample_spreads(measurements: pd.DataFrame, run_id: str) -> dict[str, tuple[float, float | None]]:
    """Per series that records repeated samples: the median of its runs' own standard deviations
    (the least noise a change must beat) and this run's."""
    if "stdev" not in measurements.columns:
        return {}
    spread = measurements.dropna(subset=["stdev"])
    typical = {str(k): float(v) for k, v in spread.groupby("series")["stdev"].median().items()}
    mine = spread[spread["run_id"] == run_id].groupby("series")["stdev"].median()
    this_run = {str(k): float(v) for k, v in mine.items()}
    return {name: (value, this_run.get(name)) for name, value in typical.items()}


def version_marks(history: list[RunInfo]) -> list[tuple[int, str, str]]:
    marks = []
    for i in range(1, len(history)):
        changes = differences(history[i - 1], history[i])
        if changes:
            words = ", ".join(f"{c.what} {c.before}→{c.after}" for c in changes)
            marks.append((i, "version", f"run {history[i].id}: {words}"))
    return marks[-MAX_VERSION_MARKS:]


def _series_row(name: str, values: np.ndarray[Any, np.dtype[np.float64]], meta: dict[Any, Any],
                history: list[RunInfo], versions: list[tuple[int, str, str]],
                min_rel: float, spreads: tuple[float, float | None]) -> SeriesRow:
    positions = np.flatnonzero(~np.isnan(values))
    hib = bool(meta["higher_is_better"])
    typical_spread, latest_spread = spreads
    verdict = detect.assess(values[positions], hib, min_rel, floor_sigma=typical_spread)
    latest = None if math.isnan(values[-1]) else float(values[-1])
    previous = values[:-1][~np.isnan(values[:-1])][-BASELINE_RUNS:]
    baseline = float(np.median(previous)) if previous.size else None
    change, flag = None, ""
    if latest is not None and baseline is not None:
        change = detect.rel_change(baseline, latest)
        if previous.size >= detect.MIN_BASELINE_RUNS and detect.significant(
                latest - baseline, baseline, verdict.noise, min_rel):
            flag = detect.kind_of(change, hib)
    ceiling = None if pd.isna(meta["ceiling"]) else float(meta["ceiling"])
    pct = latest / ceiling * 100 if latest is not None and ceiling else None
    marks, events = list(versions), []
    for point in verdict.change_points:
        at = history[int(positions[point.index])]
        words = f"{point.kind} {point.rel_change:+.1%} at run #{at.index}"
        marks.append((int(positions[point.index]), point.kind, f"{words} ({at.id})"))
        events.append(words)
    if verdict.drift_rel is not None:
        events.append(f"drift {verdict.drift_rel:+.1%} from the earliest runs to the latest")
    return SeriesRow(series=scrub_text(name), metric=str(meta["metric"]), unit=str(meta["unit"]),
                     higher_is_better=hib, latest=latest, ceiling=ceiling, pct_of_ceiling=pct,
                     baseline=baseline, change=change, latest_flag=flag, verdict=verdict,
                     spark=sparkline(values.tolist(), marks), runs=int(positions.size),
                     events=events, spread=latest_spread)


def run_metrics(measurements: pd.DataFrame) -> dict[str, list[MetricValue]]:
    """Every run's own values (median per series), for the per-run pages."""
    grouped = measurements.groupby(["run_id", "series"], sort=False).agg(
        value=("value", "median"), unit=("unit", "last"), ceiling=("ceiling", "last"),
        hib=("higher_is_better", "last")).reset_index()
    names = {s: scrub_text(str(s)) for s in grouped["series"].unique()}
    result: dict[str, list[MetricValue]] = defaultdict(list)
    for run_id, series, value, unit, ceiling, hib in zip(
            grouped["run_id"].tolist(), grouped["series"].tolist(), grouped["value"].tolist(),
            grouped["unit"].tolist(), grouped["ceiling"].tolist(), grouped["hib"].tolist(),
            strict=True):
        top = None if ceiling is None or ceiling != ceiling else float(ceiling)
        pct = value / top * 100 if top else None
        result[str(run_id)].append(MetricValue(names[series], float(value), str(unit), top, pct,
                                               bool(hib)))
    return result
