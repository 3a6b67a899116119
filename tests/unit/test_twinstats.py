"""The twin comparison the benchmark scripts print: pooled medians, a bootstrap interval, a verdict."""

from __future__ import annotations

import pytest

from benchmarks.twinstats import twin_difference


def test_the_same_figure_twice_is_within_3_percent_and_shows_no_difference() -> None:
    noisy = [0.21, 0.25, 0.19, 0.30, 0.22, 0.27, 0.24, 0.20, 0.26]
    found = twin_difference(noisy, list(reversed(noisy)))
    assert found.difference == 0.0 and found.low < 0 < found.high
    assert found.sentence().endswith("within 3 %; no difference shown (the interval holds 0)")


def test_a_figure_10_percent_high_is_not_within_3_percent() -> None:
    hand = [100.0, 101.0, 99.0, 100.5, 99.5, 100.2]
    found = twin_difference([v * 1.1 for v in hand], hand)
    assert found.difference == pytest.approx(0.1)
    assert found.low > 0.05 and "NOT within 3 %" in found.sentence()
    assert "no difference shown" not in found.sentence()
    assert found.samples == (6, 6)


def test_the_interval_is_the_same_for_the_same_samples() -> None:
    a, b = [1.0, 1.2, 0.9, 1.1], [1.05, 0.95, 1.15, 1.0]
    assert twin_difference(a, b) == twin_difference(a, b)
    with pytest.raises(ValueError, match="at least one sample"):
        twin_difference([], b)
