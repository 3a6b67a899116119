"""Benchmark: the netperf suite's figures against hand-runs of the same tools, on two paths.

    flock /tmp/lab-bench.lock .venv/bin/python -m benchmarks.netperf_twin [--rounds 5]
        [--path node_to_node|pod_to_service] [--only round_trip]

Needs the plain lab up (`harness lab up`); it never brings the lab up or down. Per round it runs
`suites/network/test_netperf.py -k <path> --depth full` (the harness's median of 3 runs per
figure, read from the run file) and then the same commands by hand: `iperf3 -t 2` with 1 and 4
streams, UDP at the offered rate with a 4 MiB buffer, and `sockperf ping-pong --tcp -t 2
--full-rtt -m 64`, 3 runs each, read by plain JSON access and a regex of our own (not the
harness's parsers). Node to node runs from the first node's namespace to the last node's. Pod to
service runs from a pod on the first node to a service address in front of a pod on the last:
the two pods are made with the lab's own pod code (set-up, not measurement), the service is this
script's own nftables DNAT, typed here, in every node's namespace. Prints both medians and the
difference per figure each round; the rounds alternate which side goes first, and at the end
every figure's samples of all rounds are pooled on each side (the harness's from the run file)
and compared with a bootstrap interval (`twinstats`): a noisy figure (a p99) is judged on 15
samples a side, not on one median against another. Every tool run is bounded (`timeout`), every
server stopped by PID, the pods and the DNAT removed on every path.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from benchmarks.twinstats import alternating_rounds, twin_difference
from harness.profile import Profile, load_profile
from harness.targets import make_target
from harness.targets.lab.network import LabNetwork
from harness.targets.lab.pods import netns_name
from harness.targets.network import PodSpec

ROOT = Path(__file__).resolve().parent.parent
PROFILE = ROOT / "profiles" / "lab.yaml"
SECONDS = 2
RUNS = 3


def _serve(netns: str, argv: list[str]) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(["timeout", "30", "ip", "netns", "exec", netns, *argv],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    return server


def _stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.terminate()
    server.wait(timeout=10)


def iperf3_by_hand(src: tuple[str, str], dst: tuple[str, str], extra: list[str],
                   connect: str | None = None) -> dict[str, float]:
    (src_ns, src_ip), (dst_ns, dst_ip) = src, dst
    server = _serve(dst_ns, ["iperf3", "-s", "-1", "-B", dst_ip, "-p", "5399"])
    try:
        done = subprocess.run(["timeout", "20", "ip", "netns", "exec", src_ns, "iperf3", "-c",
                               connect or dst_ip, "-p", "5399", "-t", str(SECONDS), "-J", "--bind", src_ip,
                               *extra],
                              capture_output=True, text=True, check=True)
    finally:
        _stop(server)
    received = json.loads(done.stdout)["end"]["sum_received"]
    return {"goodput": received["bits_per_second"] / 1e6, "loss": float(received.get("lost_percent", 0.0))}


def sockperf_by_hand(src: tuple[str, str], dst: tuple[str, str],
                     connect: str | None = None) -> dict[str, float]:
    (src_ns, _), (dst_ns, dst_ip) = src, dst
    server = _serve(dst_ns, ["sockperf", "server", "-i", dst_ip, "-p", "5398", "--tcp"])
    try:
        done = subprocess.run(["timeout", "20", "ip", "netns", "exec", src_ns, "sockperf", "ping-pong", "-i",
                               connect or dst_ip, "-p", "5398", "--tcp", "-t", str(SECONDS), "--full-rtt",
                               "-m", "64"],
                              capture_output=True, text=True, check=True)
    finally:
        _stop(server)
    text = re.sub(r"\x1b\[[0-9;]*m", "", done.stdout + done.stderr)
    found = {float(p): float(v) for p, v in re.findall(r"percentile\s+([\d.]+)\s*=\s*([\d.]+)", text)}
    return {"p50": found[50.0] / 1000, "p99": found[99.0] / 1000}


def harness_figures(path: str, only: str) -> dict[str, list[float]]:
    """Each figure's samples as the run file records them (its value is their median)."""
    selected = f"{path} and {only}" if only else path
    with tempfile.TemporaryDirectory() as results:
        command = [sys.executable, "-m", "pytest", "suites/network/test_netperf.py", "-k", selected,
                   "--depth", "full", "--keep-lab", "--no-report", "-q", "-p", "no:cacheprovider",
                   "--results-dir", results]
        subprocess.run(command, cwd=ROOT, check=True, capture_output=True, timeout=300)
        [run_file] = Path(results).glob("run-*.json")
        rows = json.loads(run_file.read_text())["measurements"]
    figures = {}
    for row in rows:
        key = row["metric"].removeprefix(f"network.{path}.") + (
            f"[{row['tags']['streams']}]" if "streams" in row["tags"] else "")
        figures[key] = [float(v) for v in row.get("samples") or [row["value"]]]
    return figures


HAND_SERVICE = "198.19.255.200"
"""The hand-run's service address: in the lab's service range, far from what the harness hands out."""


@contextmanager
def hand_service(profile: Profile) -> Iterator[tuple[tuple[str, str], tuple[str, str], str]]:
    """Two pods (first node, last node) and a DNAT to the far one typed here: (src, dst, address)."""
    target = make_target("lab", profile, run_id="netperf-twin")
    network = target.network
    assert isinstance(network, LabNetwork)
    first, last = profile.nodes[0].name, profile.nodes[-1].name
    specs = [PodSpec(name=f"twin-{n}", namespace="netperf-twin", node=n) for n in (first, last)]
    with network.pods(specs) as (near, far):
        rules = (f"table ip twin_svc {{\n  chain pre {{\n    type nat hook prerouting priority -100;\n"
                 f"    ip daddr {HAND_SERVICE} meta l4proto {{ tcp, udp }} dnat to {far.address}\n  }}\n}}\n")
        nodes = [n.name for n in profile.nodes]
        try:
            for node in nodes:
                subprocess.run(["ip", "netns", "exec", node, "nft", "-f", "-"], input=rules, text=True,
                               check=True)
            yield ((netns_name(network.plan, near), near.address),
                   (netns_name(network.plan, far), far.address), HAND_SERVICE)
        finally:
            for node in nodes:
                subprocess.run(["ip", "netns", "exec", node, "nft", "delete", "table", "ip", "twin_svc"],
                               check=False, capture_output=True)


def hand_runs(src: tuple[str, str], dst: tuple[str, str], connect: str | None, offered: float,
              only: str) -> dict[str, list[float]]:
    hand: dict[str, list[float]] = {}
    for _ in range(RUNS):
        if only in ("", "tcp_stream"):
            for streams in (1, 4):
                run = iperf3_by_hand(src, dst, ["-P", str(streams)] if streams > 1 else [], connect)
                hand.setdefault(f"tcp_stream.goodput[{streams}]", []).append(run["goodput"])
        if only in ("", "udp_stream"):
            udp = iperf3_by_hand(src, dst, ["-u", "-b", f"{offered:g}M", "-w", "4M"], connect)
            hand.setdefault("udp_stream.goodput", []).append(udp["goodput"])
            hand.setdefault("udp_stream.loss", []).append(udp["loss"])
        if only in ("", "round_trip"):
            trips = sockperf_by_hand(src, dst, connect)
            hand.setdefault("round_trip.p50", []).append(trips["p50"])
            hand.setdefault("round_trip.p99", []).append(trips["p99"])
    return hand


def hand_round(profile: Profile, path: str, offered: float, only: str) -> dict[str, list[float]]:
    first, last = profile.nodes[0], profile.nodes[-1]
    if path == "node_to_node":
        return hand_runs((first.name, str(first.address)), (last.name, str(last.address)), None,
                         offered, only)
    with hand_service(profile) as (src, dst, address):
        return hand_runs(src, dst, address, offered, only)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--path", choices=("node_to_node", "pod_to_service"), default="node_to_node")
    parser.add_argument("--only", choices=("", "tcp_stream", "udp_stream", "round_trip"), default="",
                        help="one kind of figure (default: all)")
    args = parser.parse_args()
    profile = load_profile(PROFILE)
    offered = profile.expectations.udp_offered_fraction * profile.switch.goodput_mbit
    pooled: dict[str, tuple[list[float], list[float]]] = {}
    rounds = alternating_rounds(args.rounds, lambda: harness_figures(args.path, args.only),
                                lambda: hand_round(profile, args.path, offered, args.only))
    for round_, first, harness, hand in rounds:
        print(f"round {round_} ({args.path}, {first} first): figure, harness median, hand median, "
              "difference")
        for key, values in hand.items():
            ours, theirs = statistics.median(harness[key]), statistics.median(values)
            diff = (ours - theirs) / theirs * 100 if theirs else 0.0
            print(f"  {key:28s} {ours:10.3f} {theirs:10.3f} {diff:+6.1f} %  (hand runs: "
                  + ", ".join(f"{v:.3f}" for v in values) + ")", flush=True)
            pooled.setdefault(key, ([], []))[0].extend(harness[key])
            pooled[key][1].extend(values)
    print(f"pooled over {args.rounds} round(s) ({args.path}):")
    for key, (ours_all, theirs_all) in pooled.items():
        if statistics.median(theirs_all) == 0:  # a loss of 0 % on both sides: nothing to compare
            print(f"  {key:28s} harness {statistics.median(ours_all):.4g}, hand 0")
            continue
        print(f"  {key:28s} {twin_difference(ours_all, theirs_all).sentence()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
