"""`harness runs export`: every measurement with its run's metadata, one flat table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import pandas as pd

from harness.errors import HarnessError
from harness.results.frames import load_frames
from harness.results.scrub import scrub

ExportFormat = Literal["csv", "parquet"]
RUN_FIELDS = ["run_id", "label", "target", "profile", "harness_version", "started", "status"]


def measurements_table(runs_dir: Path) -> pd.DataFrame:
    frames = load_frames(runs_dir)
    runs = frames.runs[RUN_FIELDS].copy()
    runs["label"] = runs["label"].map(scrub)
    table = frames.measurements.merge(runs, on="run_id", how="left")
    # one column type per column: tags as sorted JSON text, parquet cannot hold ragged dicts
    table["tags"] = table["tags"].map(lambda tags: json.dumps(scrub(tags or {}), sort_keys=True))
    front = ["run_id", "started", "target", "profile", "label", "status", "harness_version"]
    return table[front + [c for c in table.columns if c not in front]]


def export_runs(runs_dir: Path, fmt: ExportFormat, out: Path | None = None) -> Path:
    """Write the table as CSV or Parquet (parquet needs pyarrow); return the file written."""
    path = out or Path(f"runs.{fmt}")
    table = measurements_table(runs_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        table.to_csv(path, index=False)
    elif fmt == "parquet":
        try:
            import pyarrow  # type: ignore[import-untyped]  # noqa: F401  (parquet engine)
        except ImportError as error:
            raise HarnessError("parquet export needs pyarrow: pip install pyarrow, "
                               "or use --format csv") from error
        table.to_parquet(path, index=False)
    else:
        raise HarnessError(f"unknown export format {fmt!r}: use csv or parquet")
    return path
