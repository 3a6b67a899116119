"""Load run files into pandas DataFrames (runs, outcomes, measurements) and, for a page, each
run's timelines as typed records, scrubbed of secrets once, here."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.results.run_records import RunTimelines, trended_measurements
from harness.results.scrub import scrub
from harness.results.store import RunFileError, read_run_file, run_files

if TYPE_CHECKING:  # imported where frames are made: a suite's process never needs pandas
    import pandas as pd

RUN_COLUMNS = ["run_id", "label", "target", "profile", "harness_version", "started", "ended",
               "status", "depth", "components", "path"]
OUTCOME_COLUMNS = ["run_id", "nodeid", "outcome", "duration_s", "message", "worker"]
MEASUREMENT_COLUMNS = ["run_id", "metric", "series", "value", "unit", "higher_is_better",
                       "ceiling", "tags", "nodeid", "time", "samples", "stdev"]


@dataclass(frozen=True)
class RunFrames:
    runs: pd.DataFrame
    outcomes: pd.DataFrame
    measurements: pd.DataFrame
    timelines: dict[str, RunTimelines] = field(default_factory=dict)
    """Per run id, typed and scrubbed; filled only when asked for (`load_frames(timelines=True)`)."""


def series_key(metric: str, tags: dict[str, str]) -> str:
    """One name per comparable series: `iperf3.goodput{dst=cp2,src=cp1}`."""
    if not tags:
        return metric
    return metric + "{" + ",".join(f"{k}={tags[k]}" for k in sorted(tags)) + "}"


def _stdev(samples: list[float]) -> float | None:
    """The sample standard deviation of a figure's repeated runs; None with fewer than two."""
    return statistics.stdev(samples) if len(samples) > 1 else None


def load_frames(sources: Path | Iterable[Path], *, skipped: list[RunFileError] | None = None,
                timelines: bool = False) -> RunFrames:
    """Read a runs directory (or the given files) into three frames, oldest run first, with the
    trended figures of probe timelines among the measurements; with `timelines`, each run's
    timelines as records too, secrets scrubbed.

    A file that cannot be read raises `RunFileError`; with a `skipped` list it is left out and
    its error appended there instead, so one damaged file does not hide every other run.
    """
    paths = run_files(sources) if isinstance(sources, Path) else list(sources)
    runs: list[dict[str, Any]] = []
    outcomes: list[dict[str, Any]] = []
    measurements: list[dict[str, Any]] = []
    records: dict[str, RunTimelines] = {}
    for path in paths:
        try:
            document = read_run_file(path)
        except RunFileError as error:
            if skipped is None:
                raise
            skipped.append(error)
            continue
        run = document["run"]
        run_id = run["id"]
        runs.append({**{key: run.get(key) for key in RUN_COLUMNS},
                     "run_id": run_id, "path": str(path)})
        outcomes.extend({**row, "run_id": run_id} for row in document["outcomes"])
        if timelines:
            records[str(run_id)] = RunTimelines.from_rows(scrub(document["timelines"]))
        derived = trended_measurements(document["timelines"], version=document["version"],
                                       when=run["started"])
        for row in [*document["measurements"], *derived]:
            tags = row.get("tags") or {}
            samples = [float(v) for v in row.get("samples") or ()]
            measurements.append({**row, "run_id": run_id, "series": series_key(row["metric"], tags),
                                 "samples": samples, "stdev": _stdev(samples)})
    return RunFrames(
        runs=_frame(runs, RUN_COLUMNS, sort="started"),
        outcomes=_frame(outcomes, OUTCOME_COLUMNS),
        measurements=_frame(measurements, MEASUREMENT_COLUMNS),
        timelines=records,
    )


def _frame(rows: list[dict[str, Any]], columns: list[str], sort: str | None = None) -> pd.DataFrame:
    import pandas as pd

    frame = pd.DataFrame.from_records(rows, columns=columns)
    if sort and not frame.empty:
        frame = frame.sort_values(sort, kind="stable", ignore_index=True)
    return frame
