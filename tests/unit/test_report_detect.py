"""Regression detection on seeded synthetic series with known steps."""

from __future__ import annotations

import numpy as np
import pytest

from harness.report.detect import assess, change_points, drift, noise_sigma, significant


def noisy(n: int, seed: int, level: float = 100.0, cv: float = 0.02) -> np.ndarray:
    return level * (1 + cv * np.random.default_rng(seed).standard_normal(n))


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize(("n", "at", "factor"), [(1000, 700, 0.85), (60, 40, 1.10), (30, 21, 0.9)])
def test_a_known_step_is_found_at_the_right_run(seed: int, n: int, at: int, factor: float) -> None:
    values = noisy(n, seed)
    values[at:] *= factor

    points = change_points(values, higher_is_better=True)

    assert len(points) == 1
    assert abs(points[0].index - at) <= 1
    assert points[0].rel_change == pytest.approx(factor - 1, abs=0.02)
    assert points[0].kind == ("regression" if factor < 1 else "improvement")


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("n", [12, 50, 300, 1000])
def test_pure_noise_finds_nothing(seed: int, n: int) -> None:
    verdict = assess(noisy(n, seed, cv=0.03), higher_is_better=True)

    assert verdict.status == "ok"
    assert verdict.change_points == ()


def test_two_steps_are_both_found() -> None:
    values = noisy(400, 3)
    values[100:] *= 1.2
    values[300:] *= 0.8

    points = change_points(values, higher_is_better=False)

    assert [p.index for p in points] == [100, 300]
    assert [p.kind for p in points] == ["regression", "improvement"]  # lower is better


def test_a_real_step_below_the_threshold_is_not_reported() -> None:
    values = noisy(400, 4, cv=0.002)
    values[200:] *= 0.97  # 15 sigma, but only 3 %

    assert change_points(values, higher_is_better=True) == []
    assert change_points(values, higher_is_better=True, min_rel=0.02)[0].index == 200


def test_a_slow_drift_of_small_steps_is_reported() -> None:
    values = noisy(1000, 5, cv=0.01)
    for at in range(100, 1000, 100):
        values[at:] *= 0.99  # nine 1 % steps: none is 5 %, together about 9 %

    verdict = assess(values, higher_is_better=True)

    assert verdict.change_points == ()
    assert verdict.status == "drift-regression"
    assert verdict.drift_rel == pytest.approx(-0.086, abs=0.02)


def test_direction_follows_higher_is_better() -> None:
    values = noisy(100, 6)
    values[50:] *= 1.2

    assert assess(values, higher_is_better=True).status == "improvement"
    assert assess(values, higher_is_better=False).status == "regression"


def test_a_constant_series_with_a_step() -> None:
    values = np.array([10.0] * 20 + [12.0] * 20)

    assert [p.index for p in change_points(values, higher_is_better=True)] == [20]
    assert change_points(np.full(40, 10.0), higher_is_better=True) == []


def test_noise_sigma_ignores_steps() -> None:
    values = noisy(1000, 7, cv=0.01)
    values[500:] += 100

    assert noise_sigma(values) == pytest.approx(1.0, rel=0.15)


def test_drift_needs_enough_runs_and_more_than_noise() -> None:
    assert drift([1.0, 2.0, 3.0]) is None
    assert drift(noisy(50, 8, cv=0.05)) is None


def test_significant_needs_both_size_and_distance_from_noise() -> None:
    assert significant(-10.0, 100.0, sigma=1.0)
    assert not significant(-4.0, 100.0, sigma=0.1)  # below 5 %
    assert not significant(-10.0, 100.0, sigma=5.0)  # within 4 sigma


def test_a_step_inside_one_runs_own_spread_is_no_change() -> None:
    # Medians of repeated samples can sit very still while each run's samples scatter widely
    # (round-trip p99 on a shared host): a 10 % step is a change only out of that spread.
    values = noisy(30, 7, cv=0.002)
    values[21:] *= 1.10
    assert assess(values, higher_is_better=False).status == "regression"
    wide = assess(values, higher_is_better=False, floor_sigma=30.0)  # runs' own stdev: 30 % of the level
    assert (wide.status, wide.change_points, wide.noise) == ("ok", (), 30.0)
