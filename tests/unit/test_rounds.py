"""Throughput pairs in rounds of disjoint endpoints, run concurrently."""

from __future__ import annotations

import threading
import time

from harness.workloads.rounds import disjoint_rounds, run_in_rounds

NODES = ("cp1", "cp2", "cp3", "wk1")
ORDERED = [(a, b) for a in NODES for b in NODES if a != b]


def test_every_pair_once_and_no_endpoint_twice_in_a_round() -> None:
    rounds = disjoint_rounds(ORDERED)
    assert sorted(p for r in rounds for p in r) == sorted(ORDERED)
    for round_ in rounds:
        endpoints = [e for pair in round_ for e in pair]
        assert len(endpoints) == len(set(endpoints))
    assert len(rounds) == 6  # 12 pairs, at most 2 disjoint ones at a time


def test_a_ring_of_four_takes_two_rounds_and_an_odd_one_three() -> None:
    assert len(disjoint_rounds([(a, NODES[(i + 1) % 4]) for i, a in enumerate(NODES)])) == 2
    assert len(disjoint_rounds([("a", "b"), ("b", "c"), ("c", "a")])) == 3


def test_a_rounds_pairs_run_at_once_and_errors_stay_with_their_pair() -> None:
    running: list[int] = []
    peak = [0]
    lock = threading.Lock()

    def run(a: str, b: str) -> str:
        with lock:
            running.append(1)
            peak[0] = max(peak[0], len(running))
        time.sleep(0.05)
        with lock:
            running.pop()
        if (a, b) == ("cp2", "cp1"):
            raise RuntimeError("iperf3 server on cp1 did not listen")
        return f"{a}->{b}"

    results = run_in_rounds(ORDERED, run)
    assert peak[0] == 2
    assert isinstance(results[("cp2", "cp1")], RuntimeError)
    assert results[("cp1", "cp2")] == "cp1->cp2" and len(results) == 12
