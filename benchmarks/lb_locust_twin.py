"""Benchmark: the LB suite's locust figure against a hand-run of locust (the twin), on the lab.

    flock /tmp/lab-bench.lock .venv/bin/python -m benchmarks.lb_locust_twin \\
        [--users 48] [--user-rps 100] [--seconds 10] [--workers 2] [--rounds 4]

The defaults are the LB suite's `-m benchmark` load; its acceptance load is
`--users 24 --user-rps 50 --seconds 3 --workers 0`.

Needs the plain lab up (`harness lab up`, profile `profiles/lab.yaml`); it never brings the lab
up or down. It makes one LoadBalancer (3 backends) and, per round, runs the harness's load
(`LabNetwork.http_load`: what `suites/network/test_loadbalancer.py` records) and then locust by
hand with the same locustfile, users, rate and time: the master on the workstation, `--workers`
workers in the lab's load host (`ip netns exec hlab0-lg`), or one process when `--workers 0`.
The twin's rate is read from that run's own output without the harness's parser: requests over
locust's first to last request timestamp in its `--json` stats (the harness's definition), and,
beside it, locust's `Requests/s` of the `Aggregated` row of its `--csv` file, which divides by the
time since the test started, so it also counts the wait for the first request. Rounds alternate
which goes first; prints both per round, their means, the difference and the hand runs' own
spread (the machine's noise), and the medians and the rounds' own differences with bootstrap
intervals (`twinstats`).
Every process is bounded (`--run-time`, a kill timeout) and stopped by PID.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.twinstats import paired_difference, twin_difference
from harness.profile import load_profile
from harness.targets.lab import LabTarget
from harness.targets.lab.load_host import load_generator
from harness.workloads.http_load import LOCUSTFILE, LoadSpec
from harness.workloads.locust_run import free_port

ROOT = Path(__file__).resolve().parent.parent
PROFILE = ROOT / "profiles" / "lab.yaml"


def hand_run(*, url: str, spec: LoadSpec, master: str, netns: str, out: Path) -> tuple[float, float]:
    """locust by hand; returns (requests over its first to last request from --json, locust's
    own aggregated Requests/s from --csv)."""
    common = ["-f", str(LOCUSTFILE), "--headless", "--host", url, "-u", str(spec.users),
              "-r", str(spec.users * 10), "--run-time", f"{spec.seconds:g}s", "--stop-timeout", "2",
              "--user-rps", f"{spec.user_rps:g}", "--csv", str(out / "hand"), "--only-summary", "--json"]
    locust = [sys.executable, "-m", "locust"]
    started: list[subprocess.Popen[bytes]] = []
    log = (out / "hand.log").open("wb")
    stdout = (out / "hand.json").open("wb")
    try:
        if spec.workers:
            port = free_port(master)
            started.append(subprocess.Popen(
                [*locust, *common, "--master", "--master-bind-host", master, "--master-bind-port",
                 str(port), "--expect-workers", str(spec.workers), "--expect-workers-max-wait", "15"],
                stdout=stdout, stderr=log, start_new_session=True))
            for _ in range(spec.workers):
                started.append(subprocess.Popen(
                    ["ip", "netns", "exec", netns, *locust, "-f", str(LOCUSTFILE), "--worker",
                     "--master-host", master, "--master-port", str(port)],
                    stdout=log, stderr=log, start_new_session=True))
        else:
            started.append(subprocess.Popen([*locust, *common], stdout=stdout, stderr=log,
                                            start_new_session=True))
        started[0].wait(timeout=spec.seconds + 60)
    finally:
        for process in started:
            if process.poll() is None:
                os.kill(process.pid, signal.SIGTERM)
        for process in started:
            try:
                process.wait(timeout=3)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait()
        log.close()
        stdout.close()
    entries = json.loads((out / "hand.json").read_text())
    first = min(e["start_time"] for e in entries if e["num_requests"])
    last = max(e["last_request_timestamp"] for e in entries if e["num_requests"])
    with (out / "hand_stats.csv").open() as stats:
        row = next(r for r in csv.DictReader(stats) if r["Name"] == "Aggregated")
    return sum(e["num_requests"] for e in entries) / (last - first), float(row["Requests/s"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=48)
    parser.add_argument("--user-rps", type=float, default=100.0)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    spec = LoadSpec(users=args.users, seconds=args.seconds, user_rps=args.user_rps,
                    workers=args.workers)
    target = LabTarget(load_profile(PROFILE))
    if not target.lab.status().running or not target.lab.built_from_this_plan():
        sys.exit(f"the lab of {PROFILE.name} is not up: bring it up first (harness lab up)")
    harness_rps: list[float] = []
    hand_rps: list[float] = []
    csv_rps: list[float] = []
    with target.network.loadbalancer(backends=3, name="locust") as lb:
        print(f"LB {lb.url}, {spec.mode}, {spec.users} users x {spec.user_rps:g} req/s "
              f"(offered {spec.offered_rps or 'closed loop'}), {spec.seconds:g} s")
        for round_ in range(1, args.rounds + 1):
            # Alternate who goes first: a machine getting busier or quieter favours neither.
            order = ("harness", "hand") if round_ % 2 else ("hand", "harness")
            for who in order:
                if who == "harness":
                    result = target.network.http_load(lb, spec)
                    harness_rps.append(result.rps)
                else:
                    hand, total = _hand(target, lb.url, spec)
                    hand_rps.append(hand)
                    csv_rps.append(total)
                time.sleep(1)
            cv = result.per_second_cv
            print(f"round {round_} ({' first, '.join(order)} second, load {os.getloadavg()[0]:.1f}): "
                  f"harness {harness_rps[-1]:.1f} req/s (per-second CV "
                  f"{'-' if cv is None else f'{cv:.1%}'}, p50 {result.p50_ms:g} ms, p99 "
                  f"{result.p99_ms:g} ms, mean {result.mean_ms:.3f} ms) | hand {hand_rps[-1]:.1f} req/s"
                  f" (locust's csv {csv_rps[-1]:.1f})"
                  f" | {result.verdict()}", flush=True)
    a, b = statistics.fmean(harness_rps), statistics.fmean(hand_rps)
    ratios = [h / m - 1 for h, m in zip(harness_rps, hand_rps, strict=True)]
    spread = statistics.stdev(hand_rps) / b if len(hand_rps) > 1 else 0.0
    print(f"mean: harness {a:.1f} req/s, hand {b:.1f} req/s, harness vs hand {(a - b) / b:+.1%}; "
          f"per round {', '.join(f'{r:+.1%}' for r in ratios)} (median {statistics.median(ratios):+.1%});"
          f" hand runs' own CV {spread:.1%}; locust's csv Requests/s {statistics.fmean(csv_rps):.1f}")
    print(f"medians: {twin_difference(harness_rps, hand_rps).sentence()}")
    print(f"paired rounds: {paired_difference(harness_rps, hand_rps).sentence()}")


def _hand(target: LabTarget, url: str, spec: LoadSpec) -> tuple[float, float]:
    with tempfile.TemporaryDirectory(prefix="locust-twin-") as tmp:
        if not spec.workers:
            return hand_run(url=url, spec=spec, master="", netns="", out=Path(tmp))
        with load_generator(target.plan) as host:
            return hand_run(url=url, spec=spec, master=target.plan.workstation, netns=host.name,
                            out=Path(tmp))

if __name__ == "__main__":
    main()
