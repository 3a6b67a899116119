"""`harness runs noise`: per series, the spread between runs that passed (one figure per run)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from harness.cli import app
from harness.results.frames import MEASUREMENT_COLUMNS, OUTCOME_COLUMNS, RUN_COLUMNS, RunFrames
from harness.results.noise import SeriesNoise, chosen_runs, series_noise
from harness.results.synthetic import History, write_history


def frames(values: dict[str, list[float]], statuses: list[str], profile: str = "lab",
           depths: list[str] | None = None) -> RunFrames:
    runs = [{"run_id": f"r{i}", "profile": profile, "status": s, "started": f"2026-12-03T0{i}",
             "depth": depths[i] if depths else None} for i, s in enumerate(statuses)]
    rows = [{"run_id": f"r{i}", "metric": series.split("{")[0], "series": series, "value": v,
             "unit": "Mbit/s"} for series, figures in values.items() for i, v in enumerate(figures)]
    return RunFrames(runs=pd.DataFrame(runs, columns=RUN_COLUMNS),
                     outcomes=pd.DataFrame([], columns=OUTCOME_COLUMNS),
                     measurements=pd.DataFrame(rows, columns=MEASUREMENT_COLUMNS))


def test_spread_over_the_runs_that_passed_noisiest_first() -> None:
    found = frames({"net.goodput{pair=a}": [940, 930, 500, 920], "net.goodput{pair=b}": [900, 800, 1, 1000]},
                   ["passed", "passed", "failed", "passed"])
    ids = chosen_runs(found, last=10)
    assert ids == ["r0", "r1", "r3"]  # the failed run's 500 and 1 are not noise, they are the defect
    noisy, steady = series_noise(found, ids)
    assert noisy.series == "net.goodput{pair=b}" and noisy.mean == pytest.approx(900)
    assert noisy.stdev == pytest.approx(100) and noisy.cv == pytest.approx(100 / 900)
    assert (steady.low, steady.high, steady.runs) == (920, 940, 3)


def test_a_series_in_too_few_runs_and_other_metrics_are_left_out() -> None:
    found = frames({"net.goodput{pair=a}": [940, 930, 935], "storage.read": [100, 110, 105]},
                   ["passed"] * 3)
    ids = chosen_runs(found, last=2)
    assert ids == ["r1", "r2"] and series_noise(found, ids) == []
    assert [n.series for n in series_noise(found, chosen_runs(found, last=3), metric_prefix="storage.")] == [
        "storage.read"]
    assert chosen_runs(found, last=3, profile="homelab") == []


def test_runs_of_one_depth_only_when_asked() -> None:
    found = frames({"storage.read": [100, 90, 110, 95]}, ["passed"] * 4,
                   depths=["quick", "full", "quick", "full"])
    assert chosen_runs(found, last=10, depth="full") == ["r1", "r3"]
    assert chosen_runs(found, last=10) == ["r0", "r1", "r2", "r3"]


def test_a_moving_series_around_zero_is_infinitely_noisy() -> None:
    assert math.isinf(SeriesNoise("x", "count", 3, mean=0.0, stdev=1.0, low=-1, high=1).cv)
    assert SeriesNoise("x", "count", 3, mean=0.0, stdev=0.0, low=0, high=0).cv == 0


def test_cli_prints_every_series_as_json(tmp_path: Path) -> None:
    write_history(tmp_path, History(runs=4, metrics=3, extras_in_last_run=False))
    result = CliRunner().invoke(app, ["runs", "noise", "--runs-dir", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert len(rows) == 3 and all(row["runs"] == 4 and row["cv"] >= 0 for row in rows)
    assert [row["cv"] for row in rows] == sorted((row["cv"] for row in rows), reverse=True)
