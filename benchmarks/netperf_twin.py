"""Benchmark: the netperf suite's node-to-node figures against hand-runs of the same tools.

    flock /tmp/lab-bench.lock .venv/bin/python benchmarks/netperf_twin.py [--rounds 3]

Needs the plain lab up (`harness lab up`); it never brings the lab up or down. Per round it runs
`suites/network/test_netperf.py -k node_to_node --depth full` (the harness's median of 3 runs per
figure, read from the run file) and then the same commands by hand from the first node's namespace
to the last node's: `iperf3 -t 2` with 1 and 4 streams, UDP at the offered rate with a 4 MiB
buffer, and `sockperf ping-pong --tcp -t 2 --full-rtt -m 64`, 3 runs each, read by `jq`-like
plain JSON access and a regex of our own (not the harness's parsers). Prints both medians and the
difference per figure. Every tool run is bounded (`timeout`), every server stopped by PID.
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
from pathlib import Path

from harness.profile import load_profile

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


def iperf3_by_hand(src: tuple[str, str], dst: tuple[str, str], extra: list[str]) -> dict[str, float]:
    (src_ns, src_ip), (dst_ns, dst_ip) = src, dst
    server = _serve(dst_ns, ["iperf3", "-s", "-1", "-B", dst_ip, "-p", "5399"])
    try:
        done = subprocess.run(["timeout", "20", "ip", "netns", "exec", src_ns, "iperf3", "-c", dst_ip, "-p",
                               "5399", "-t", str(SECONDS), "-J", "--bind", src_ip, *extra],
                              capture_output=True, text=True, check=True)
    finally:
        _stop(server)
    received = json.loads(done.stdout)["end"]["sum_received"]
    return {"goodput": received["bits_per_second"] / 1e6, "loss": float(received.get("lost_percent", 0.0))}


def sockperf_by_hand(src: tuple[str, str], dst: tuple[str, str]) -> dict[str, float]:
    (src_ns, _), (dst_ns, dst_ip) = src, dst
    server = _serve(dst_ns, ["sockperf", "server", "-i", dst_ip, "-p", "5398", "--tcp"])
    try:
        done = subprocess.run(["timeout", "20", "ip", "netns", "exec", src_ns, "sockperf", "ping-pong", "-i",
                               dst_ip, "-p", "5398", "--tcp", "-t", str(SECONDS), "--full-rtt", "-m", "64"],
                              capture_output=True, text=True, check=True)
    finally:
        _stop(server)
    text = re.sub(r"\x1b\[[0-9;]*m", "", done.stdout + done.stderr)
    found = {float(p): float(v) for p, v in re.findall(r"percentile\s+([\d.]+)\s*=\s*([\d.]+)", text)}
    return {"p50": found[50.0] / 1000, "p99": found[99.0] / 1000}


def harness_figures(results: Path) -> dict[str, float]:
    command = [sys.executable, "-m", "pytest", "suites/network/test_netperf.py", "-k", "node_to_node",
               "--depth", "full", "--keep-lab", "--no-report", "-q", "-p", "no:cacheprovider",
               "--results-dir", str(results)]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True, timeout=300)
    [path] = results.glob("run-*.json")
    figures = {}
    for row in json.loads(path.read_text())["measurements"]:
        key = row["metric"].removeprefix("network.node_to_node.") + (
            f"[{row['tags']['streams']}]" if "streams" in row["tags"] else "")
        figures[key] = row["value"]
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1)
    rounds = parser.parse_args().rounds
    profile = load_profile(PROFILE)
    first, last = profile.nodes[0], profile.nodes[-1]
    src, dst = (first.name, str(first.address)), (last.name, str(last.address))
    offered = profile.expectations.udp_offered_fraction * profile.switch.goodput_mbit
    for round_ in range(1, rounds + 1):
        with tempfile.TemporaryDirectory() as tmp:
            harness = harness_figures(Path(tmp))
        hand: dict[str, list[float]] = {}
        for _ in range(RUNS):
            for streams in (1, 4):
                run = iperf3_by_hand(src, dst, ["-P", str(streams)] if streams > 1 else [])
                hand.setdefault(f"tcp_stream.goodput[{streams}]", []).append(run["goodput"])
            udp = iperf3_by_hand(src, dst, ["-u", "-b", f"{offered:g}M", "-w", "4M"])
            hand.setdefault("udp_stream.goodput", []).append(udp["goodput"])
            hand.setdefault("udp_stream.loss", []).append(udp["loss"])
            trips = sockperf_by_hand(src, dst)
            hand.setdefault("round_trip.p50", []).append(trips["p50"])
            hand.setdefault("round_trip.p99", []).append(trips["p99"])
        print(f"round {round_}: figure, harness median, hand median, difference")
        for key, values in hand.items():
            ours, theirs = harness[key], statistics.median(values)
            diff = (ours - theirs) / theirs * 100 if theirs else 0.0
            print(f"  {key:28s} {ours:10.3f} {theirs:10.3f} {diff:+6.1f} %  (hand runs: "
                  + ", ".join(f"{v:.3f}" for v in values) + ")")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
