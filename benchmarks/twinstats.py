"""How far a harness figure is from its hand-run twin, and how sure that distance is.

Both sides are samples of a noisy figure (a round-trip p99 moves 10-27 % run to run on the lab),
so one median against another says little. Here: the difference of the pooled medians, with a
95 % bootstrap interval (each side resampled with replacement), and a verdict a reader can hold
the 3 % goal against: `within 3 %` when the median difference is, and whether the interval
rules out any difference at all.

When the two sides ran in rounds side by side (harness, then hand, or the other way), the
machine's slow swings (another job's load for minutes) hit both runs of a round alike: the
paired comparison takes each round's own ratio and bootstraps the rounds, so those swings cancel
instead of widening the interval.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

RESAMPLES = 4000
GOAL = 0.03
Ours = TypeVar("Ours")
Theirs = TypeVar("Theirs")


def alternating_rounds(rounds: int, harness: Callable[[], Ours],
                       hand: Callable[[], Theirs]) -> Iterator[tuple[int, str, Ours, Theirs]]:
    """Both sides once a round, the harness first in odd rounds and the hand run in even ones,
    so neither gains from going first or from a drift of the machine: (round, which side went
    first, the harness's figures, the hand run's)."""
    for round_ in range(1, rounds + 1):
        if round_ % 2:
            ours = harness()
            yield round_, "harness", ours, hand()
        else:
            theirs = hand()
            yield round_, "hand", harness(), theirs


@dataclass(frozen=True)
class TwinDifference:
    harness: float  # median of the harness's samples
    hand: float  # median of the hand-run's samples
    difference: float  # (harness - hand) / hand
    low: float  # 95 % interval of `difference`
    high: float
    samples: tuple[int, int]

    def sentence(self) -> str:
        """The difference, its interval and the verdict (`samples`: per side, or rounds paired)."""
        verdict = "within 3 %" if abs(self.difference) <= GOAL else "NOT within 3 %"
        if self.low <= 0 <= self.high:
            verdict += "; no difference shown (the interval holds 0)"
        return (f"harness {self.harness:.4g}, hand {self.hand:.4g}: {self.difference:+.1%} "
                f"(95 % interval {self.low:+.1%} .. {self.high:+.1%}; {self.samples[0]} vs "
                f"{self.samples[1]} samples): {verdict}")


def twin_difference(harness: Sequence[float], hand: Sequence[float], *, seed: int = 1) -> TwinDifference:
    if not harness or not hand:
        raise ValueError("both sides need at least one sample")
    ours, theirs = statistics.median(harness), statistics.median(hand)
    draw = random.Random(seed)  # seeded: the same samples print the same interval

    def resampled(values: Sequence[float]) -> float:
        return statistics.median(draw.choices(values, k=len(values)))

    differences = sorted(
        (a - b) / b for a, b in ((resampled(harness), resampled(hand)) for _ in range(RESAMPLES)) if b)
    low = differences[int(0.025 * len(differences))]
    high = differences[int(0.975 * len(differences)) - 1]
    return TwinDifference(ours, theirs, (ours - theirs) / theirs if theirs else 0.0, low, high,
                          (len(harness), len(hand)))


def paired_difference(harness: Sequence[float], hand: Sequence[float], *, seed: int = 1) -> TwinDifference:
    """The median of each round's (harness - hand) / hand, with a 95 % bootstrap interval over
    the rounds (each resample draws whole rounds); `harness[i]` and `hand[i]` ran side by side."""
    if len(harness) != len(hand) or not hand:
        raise ValueError("paired samples need one harness and one hand figure per round")
    if not all(hand):
        raise ValueError("a hand figure of 0 has no ratio")
    ratios = [(a - b) / b for a, b in zip(harness, hand, strict=True)]
    draw = random.Random(seed)
    medians = sorted(statistics.median(draw.choices(ratios, k=len(ratios))) for _ in range(RESAMPLES))
    return TwinDifference(statistics.median(harness), statistics.median(hand), statistics.median(ratios),
                          medians[int(0.025 * RESAMPLES)], medians[int(0.975 * RESAMPLES) - 1],
                          (len(harness), len(hand)))
