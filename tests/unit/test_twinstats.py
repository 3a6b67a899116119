"""The twin comparisons the benchmark scripts print: pooled medians or paired rounds, a bootstrap
interval, a verdict."""

from __future__ import annotations

import pytest

from benchmarks.twinstats import alternating_rounds, paired_difference, twin_difference


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


def test_paired_rounds_cancel_a_swing_that_hits_both_sides_of_a_round() -> None:
    machine = [100.0, 80.0, 120.0, 90.0, 110.0, 70.0, 130.0, 95.0, 105.0, 85.0]  # a busy hour, then not
    hand = [v * (1 + 0.004 * (-1) ** i) for i, v in enumerate(machine)]
    harness = [v * 1.01 for v in machine]
    pooled, paired = twin_difference(harness, hand), paired_difference(harness, hand)
    assert pooled.high - pooled.low > 0.2  # the swing drowns a 1 % difference when pooled
    assert paired.low > 0.0 and paired.high < 0.02  # paired: 1 %, shown, within +-2 %
    assert paired.difference == pytest.approx(0.01, abs=0.005)
    assert "within 3 %" in paired.sentence() and "no difference shown" not in paired.sentence()


def test_paired_rounds_need_one_figure_a_side_per_round() -> None:
    with pytest.raises(ValueError, match="one harness and one hand figure per round"):
        paired_difference([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="no ratio"):
        paired_difference([1.0], [0.0])


def test_rounds_alternate_which_side_goes_first() -> None:
    ran: list[str] = []

    def side(name: str) -> str:
        ran.append(name)
        return f"{name}-{len(ran)}"

    rounds = list(alternating_rounds(3, lambda: side("harness"), lambda: side("hand")))
    assert ran == ["harness", "hand", "hand", "harness", "harness", "hand"]
    assert rounds == [(1, "harness", "harness-1", "hand-2"), (2, "hand", "harness-4", "hand-3"),
                      (3, "harness", "harness-5", "hand-6")]
