"""Benchmark: round trips sample by sample, the suite's own call against sockperf by hand.

    flock /tmp/lab-bench.lock .venv/bin/python -m benchmarks.round_trip_pairs [--pairs 30]

Needs the plain lab up (`harness lab up`); it never brings the lab up or down. `netperf_twin`
compares a whole pytest run with a round of hand runs a minute later, and on this 2-core lab a
round-trip percentile drifts 5-10 % from one minute to the next: rounds compare the minutes as
much as the tools. Here each pair is one sample of the call `test_round_trip_latency` makes
(`target.network.round_trips`, node to node, 2 s) and one hand run of the same sockperf commands
(`netperf_twin.sockperf_by_hand`), back to back, the order alternating; p50 and p99 are compared
on their medians and on the median of the pairs' own differences (which cancels what drifts
slower than a pair), each with a bootstrap interval (`twinstats`). Every run is bounded (`timeout`).
"""

from __future__ import annotations

import argparse

from benchmarks.netperf_twin import PROFILE, SECONDS, sockperf_by_hand
from benchmarks.twinstats import paired_difference, twin_difference
from harness.profile import load_profile
from harness.targets import make_target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=30)
    args = parser.parse_args()
    profile = load_profile(PROFILE)
    first, last = profile.nodes[0], profile.nodes[-1]
    target = make_target("lab", profile, run_id="round-trip-pairs")
    ours: dict[str, list[float]] = {"p50": [], "p99": []}
    hand: dict[str, list[float]] = {"p50": [], "p99": []}
    for pair in range(args.pairs):
        for side in ("harness", "hand") if pair % 2 == 0 else ("hand", "harness"):
            if side == "harness":
                trips = target.network.round_trips(client=first.name, server=last.name, seconds=SECONDS)
                ours["p50"].append(trips.p50_us / 1000)
                ours["p99"].append(trips.p99_us / 1000)
            else:
                by_hand = sockperf_by_hand((first.name, str(first.address)), (last.name, str(last.address)))
                hand["p50"].append(by_hand["p50"])
                hand["p99"].append(by_hand["p99"])
        print(f"pair {pair + 1}: harness p50 {ours['p50'][-1]:.4f} p99 {ours['p99'][-1]:.4f} ms | "
              f"hand p50 {hand['p50'][-1]:.4f} p99 {hand['p99'][-1]:.4f} ms", flush=True)
    print(f"{first.name} -> {last.name}, {args.pairs} pairs:")
    for key in ("p50", "p99"):
        print(f"  round_trip.{key} medians: {twin_difference(ours[key], hand[key]).sentence()}")
        print(f"  round_trip.{key} paired:  {paired_difference(ours[key], hand[key]).sentence()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
