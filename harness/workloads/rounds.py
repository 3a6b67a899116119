"""Throughput pairs measured concurrently, in rounds where no endpoint takes part twice.

Two flows that share no endpoint share no link on a switched network (each port carries one
sender's upstream and one receiver's downstream), so they can run at once without lowering each
other: the network suite's 16 pairs take 8 rounds instead of 16 runs. A pair that fails to
run keeps its own error; the others still count.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

E = TypeVar("E", bound=Hashable)
R = TypeVar("R")


def disjoint_rounds(pairs: Sequence[tuple[E, E]]) -> list[list[tuple[E, E]]]:
    """Every pair once, in rounds whose pairs share no endpoint.

    Greedy over the pairs in their order, each round taking the first pairs that still fit, but
    trying each new round from every start so an unlucky first pick does not cost a round (the
    12 ordered pairs of 4 nodes take 6 rounds, the minimum).
    """
    left = list(dict.fromkeys(pairs))
    rounds: list[list[tuple[E, E]]] = []
    while left:
        best: list[tuple[E, E]] = []
        for start in range(len(left)):
            round_: list[tuple[E, E]] = []
            used: set[E] = set()
            for pair in left[start:] + left[:start]:
                if pair[0] not in used and pair[1] not in used:
                    round_.append(pair)
                    used.update(pair)
            if len(round_) > len(best):
                best = round_
        rounds.append(best)
        left = [p for p in left if p not in best]
    return rounds


def run_in_rounds(pairs: Sequence[tuple[E, E]],
                  run: Callable[[E, E], R]) -> dict[tuple[E, E], R | Exception]:
    """`run(a, b)` for every pair, each round's pairs at once; an exception is that pair's result."""
    results: dict[tuple[E, E], R | Exception] = {}

    def one(pair: tuple[E, E]) -> R | Exception:
        try:
            return run(*pair)
        except Exception as error:  # kept for the pair's own test to raise
            return error

    for round_ in disjoint_rounds(pairs):
        with ThreadPoolExecutor(max_workers=len(round_)) as pool:
            results.update(zip(round_, pool.map(one, round_), strict=True))
    return results
