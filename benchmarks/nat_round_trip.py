"""Benchmark: what a service's NAT table in the node namespaces costs the nodes' own round trips.

    flock /tmp/lab-bench.lock .venv/bin/python -m benchmarks.nat_round_trip [--pairs 20]

Needs the plain lab up (`harness lab up`); it never brings the lab up or down. The netperf suite
measured node-to-node round trips 7-10 % above sockperf by hand while its pods and service were
present. The lab's service is an nftables DNAT in every node's namespace (`services.nft_rules`),
and a NAT hook turns on connection tracking for every packet of that namespace, the nodes' own
traffic included. Here each pair is one hand run of sockperf node to node (`netperf_twin`'s own
command) with such a table present, for an address nothing uses, and one without, back to back,
the order alternating. The table is removed on every path; every run is bounded (`timeout`).
"""

from __future__ import annotations

import argparse
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

from benchmarks.netperf_twin import PROFILE, sockperf_by_hand
from benchmarks.twinstats import twin_difference
from harness.profile import load_profile
from harness.targets.lab.services import nft_rules, table

UNUSED_SERVICE = "198.19.255.201"
"""In the lab's service range, far from what the harness hands out; no packet is sent to it."""
UNUSED_BACKEND = "198.19.255.202"


@contextmanager
def nat_table(nodes: list[str]) -> Iterator[None]:
    try:
        for node in nodes:
            subprocess.run(["ip", "netns", "exec", node, "nft", "-f", "-"], check=True, timeout=10, text=True,
                           input=nft_rules(UNUSED_SERVICE, UNUSED_BACKEND))
        yield
    finally:
        for node in nodes:
            remove = ["nft", "delete", "table", "ip", table(UNUSED_SERVICE)]
            subprocess.run(["ip", "netns", "exec", node, *remove], check=False, timeout=10,
                           capture_output=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=20)
    args = parser.parse_args()
    profile = load_profile(PROFILE)
    first, last = profile.nodes[0], profile.nodes[-1]
    ends = (first.name, str(first.address)), (last.name, str(last.address))
    nodes = [node.name for node in profile.nodes]
    runs: dict[str, list[float]] = {"with": [], "without": []}
    for pair in range(args.pairs):
        for side in ("with", "without") if pair % 2 == 0 else ("without", "with"):
            if side == "with":
                with nat_table(nodes):
                    runs[side].append(sockperf_by_hand(*ends)["p50"])
            else:
                runs[side].append(sockperf_by_hand(*ends)["p50"])
        print(f"pair {pair + 1}: p50 with the table {runs['with'][-1]:.4f} ms, without "
              f"{runs['without'][-1]:.4f} ms", flush=True)
    print(f"{first.name} -> {last.name}, {args.pairs} pairs, round-trip p50 with a NAT table in every "
          f"node against without: {twin_difference(runs['with'], runs['without']).sentence()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
