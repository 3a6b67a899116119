"""The rounds a twin benchmark printed, read back and summarized.

A twin prints each round as `round N (harness|hand first): figure, harness, hand, difference`
and then one line per figure (`  name[verb]  harness  hand  +x.x %`). Saved, those lines let
rounds from several runs (hours or days apart, each round with its own hand run) be pooled
into one comparison without running anything again.
"""

from __future__ import annotations

import re
import statistics

from benchmarks.twinstats import paired_difference, twin_difference

Rounds = dict[str, tuple[list[float], list[float]]]
"""figure -> (the harness's value per round, the hand run's value per round)"""

ROUND_LINE = re.compile(r"round \d+ \((harness|hand) first\)")
FIGURE_LINE = re.compile(r"  (\S+\[\S+\])\s+(\S+)\s+(\S+)\s+[-+]\S+ %$")


def add_round(pooled: Rounds, round_: int, first: str, harness: dict[str, float],
              hand: dict[str, float]) -> None:
    """Print one round in the lines `rounds_from_logs` reads back, and pool its figures."""
    print(f"round {round_} ({first} first): figure, harness, hand, difference", flush=True)
    for key in sorted(hand):
        ours, theirs = harness[key], hand[key]
        print(f"  {key:28s} {ours:10.4g} {theirs:10.4g} {(ours - theirs) / theirs * 100:+6.1f} %", flush=True)
        _pool(pooled, key, ours, theirs)


def _pool(pooled: Rounds, key: str, ours: float, theirs: float) -> None:
    harness_values, hand_values = pooled.setdefault(key, ([], []))
    harness_values.append(ours)
    hand_values.append(theirs)


def rounds_from_logs(logs: list[str]) -> Rounds:
    """The per-round figures earlier runs printed (their whole output), pooled as one run's:
    rounds run on other days pair as well as today's, each with its own hand run."""
    pooled: Rounds = {}
    for log in logs:
        in_round = False
        for line in log.splitlines():
            if ROUND_LINE.match(line):
                in_round = True
            elif (figure := FIGURE_LINE.match(line)) and in_round:
                key, ours, theirs = figure.groups()
                _pool(pooled, key, float(ours), float(theirs))
            else:
                in_round = False  # the summary's lines are not rounds
    return pooled


def round_means(figures: list[list[float]]) -> list[float]:
    """Per round, the mean of several figures' values (each list holds one figure's rounds)."""
    return [statistics.fmean(round_) for round_ in zip(*figures, strict=True)]


def summarize(pooled: Rounds) -> None:
    """Each figure pooled and paired by round, then each metric over all its verbs or nodes: a
    round's mean of them on each side, paired by round (the bootstrap draws whole rounds)."""
    for key, (ours_all, theirs_all) in sorted(pooled.items()):
        print(f"  {key:28s} pooled {twin_difference(ours_all, theirs_all).sentence()}")
        print(f"  {key:28s} paired {paired_difference(ours_all, theirs_all).sentence()}")
    for metric in sorted({key.split("[", 1)[0] for key in pooled}):
        keys = [key for key in sorted(pooled) if key.startswith(f"{metric}[")]
        ours, theirs = (round_means([pooled[key][side] for key in keys]) for side in (0, 1))
        print(f"  {metric + '[all]':28s} paired {paired_difference(ours, theirs).sentence()}")
