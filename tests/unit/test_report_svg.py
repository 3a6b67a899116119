"""Sparkline geometry: bounded size, gaps lift the pen, marks placed by run index."""

from __future__ import annotations

import math

from harness.report.svg import envelope, sparkline


def test_long_series_are_reduced_to_two_points_per_pixel() -> None:
    xs, ys = envelope([float(i % 7) for i in range(5000)], width=100)

    assert len(xs) == len(ys) <= 200
    assert min(ys) == 0
    assert max(ys) == 6


def test_missing_runs_lift_the_pen_and_marks_land_on_their_run() -> None:
    spark = sparkline([1.0, 2.0, math.nan, 2.0, 1.0], marks=[(4, "regression", "t")], width=104)

    assert spark.path.count("M") == 2
    assert spark.marks[0].x == 102.0  # last run at the right edge, inside the padding
    assert spark.last is not None


def test_empty_series() -> None:
    assert sparkline([math.nan, math.nan]).path == ""
