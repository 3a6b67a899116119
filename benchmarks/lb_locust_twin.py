"""Benchmark: the LB suite's locust figure against a hand-run of locust (the twin), on the lab.

    flock /tmp/lab-bench.lock .venv/bin/python benchmarks/lb_locust_twin.py \\
        [--users 12] [--user-rps 400] [--seconds 10] [--workers 2] [--rounds 3]

Needs the plain lab up (`harness lab up`, profile `profiles/lab.yaml`); it never brings the lab
up or down. It makes one LoadBalancer (3 backends) and, per round, runs the harness's load
(`LabNetwork.http_load`: what `suites/network/test_loadbalancer.py` records) and then locust by
hand with the same locustfile, users, rate and time: the master on the workstation, `--workers`
workers in the lab's load host (`ip netns exec hlab0-lg`), or one process when `--workers 0`.
The twin's rate is locust's own `Requests/s` of the `Aggregated` row in its `--csv` stats file,
read without the harness's parser. Prints both per round, their means and the difference.
Every process is bounded (`--run-time`, a kill timeout) and stopped by PID.
"""

from __future__ import annotations

import argparse
import csv
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness.profile import load_profile
from harness.targets.lab import LabTarget
from harness.targets.lab.load_host import load_generator
from harness.workloads.http_load import LOCUSTFILE, LoadSpec
from harness.workloads.locust_run import free_port

ROOT = Path(__file__).resolve().parent.parent
PROFILE = ROOT / "profiles" / "lab.yaml"


def hand_run(*, url: str, spec: LoadSpec, master: str, netns: str, out: Path) -> float:
    """locust by hand; returns locust's own aggregated Requests/s from its --csv stats."""
    common = ["-f", str(LOCUSTFILE), "--headless", "--host", url, "-u", str(spec.users),
              "-r", str(spec.users * 10), "--run-time", f"{spec.seconds:g}s", "--stop-timeout", "2",
              "--user-rps", f"{spec.user_rps:g}", "--csv", str(out / "hand"), "--only-summary"]
    locust = [sys.executable, "-m", "locust"]
    started: list[subprocess.Popen[bytes]] = []
    log = (out / "hand.log").open("wb")
    try:
        if spec.workers:
            port = free_port(master)
            started.append(subprocess.Popen(
                [*locust, *common, "--master", "--master-bind-host", master, "--master-bind-port",
                 str(port), "--expect-workers", str(spec.workers), "--expect-workers-max-wait", "15"],
                stdout=log, stderr=log, start_new_session=True))
            for _ in range(spec.workers):
                started.append(subprocess.Popen(
                    ["ip", "netns", "exec", netns, *locust, "-f", str(LOCUSTFILE), "--worker",
                     "--master-host", master, "--master-port", str(port)],
                    stdout=log, stderr=log, start_new_session=True))
        else:
            started.append(subprocess.Popen([*locust, *common], stdout=log, stderr=log,
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
    with (out / "hand_stats.csv").open() as stats:
        row = next(r for r in csv.DictReader(stats) if r["Name"] == "Aggregated")
    return float(row["Requests/s"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=12)
    parser.add_argument("--user-rps", type=float, default=0.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    spec = LoadSpec(users=args.users, seconds=args.seconds, user_rps=args.user_rps,
                    workers=args.workers)
    target = LabTarget(load_profile(PROFILE))
    if not target.lab.status().running or not target.lab.built_from_this_plan():
        sys.exit(f"the lab of {PROFILE.name} is not up: bring it up first (harness lab up)")
    harness_rps, hand_rps = [], []
    with target.network.loadbalancer(backends=3, name="locust") as lb:
        print(f"LB {lb.url}, {spec.mode}, {spec.users} users x {spec.user_rps:g} req/s "
              f"(offered {spec.offered_rps or 'closed loop'}), {spec.seconds:g} s")
        for round_ in range(1, args.rounds + 1):
            result = target.network.http_load(lb, spec)
            with tempfile.TemporaryDirectory(prefix="locust-twin-") as tmp:
                if spec.workers:
                    with load_generator(target.plan) as host:
                        hand = hand_run(url=lb.url, spec=spec, master=target.plan.workstation,
                                        netns=host.name, out=Path(tmp))
                else:
                    hand = hand_run(url=lb.url, spec=spec, master="", netns="", out=Path(tmp))
            harness_rps.append(result.rps)
            hand_rps.append(hand)
            cv = result.per_second_cv
            print(f"round {round_}: harness {result.rps:.1f} req/s (per-second CV "
                  f"{'-' if cv is None else f'{cv:.1%}'}, p50 {result.p50_ms:g} ms, p99 "
                  f"{result.p99_ms:g} ms, mean {result.mean_ms:.3f} ms) | hand {hand:.1f} req/s | "
                  f"{result.verdict()}", flush=True)
            time.sleep(1)
    a, b = statistics.fmean(harness_rps), statistics.fmean(hand_rps)
    print(f"mean: harness {a:.1f} req/s, hand {b:.1f} req/s, harness vs hand {(a - b) / b:+.1%}")


if __name__ == "__main__":
    main()
