"""Benchmark: the storage suite's warp figures against hand-runs of warp (the twin), on the lab.

    flock /tmp/lab-bench.lock .venv/bin/python -m benchmarks.s3_warp_twin \\
        [--rounds 3] [--cases put:4M,get:4M,put:64K,get:64K] [--mixed] [--compare] [--hand-flag json]

Needs the plain lab up with Ceph (`harness lab up`, profile `profiles/lab.yaml`); it never brings
the lab up or down. One bucket for the whole run (made and removed by the lab's storage). Per
round and case, the harness's path (`LabStorage.run_warp` with `suites.storage.s3runs.warp_spec`:
what `-m benchmark` records) and warp by hand: the same command line with `--quiet` for `--json`,
from the same namespace, its figure read from warp's own printed report (`Average: X MiB/s, Y
obj/s`), not through the harness's parser. The order alternates each round; at the end the
rounds are compared pooled and paired (`twinstats`). The hand run's
own data (`--benchdata`, zstd) is parsed by the harness too: the same run through both readers.
`--hand-flag json` runs the hand side with the suite's very command line, its figure read from
warp's JSON by plain access: whether `--json` itself changes what warp measures. `--mixed` adds
the suite's mixed load at 1 MiB, each operation's rate read the same way.

`--compare` then measures the same cases once with the boto3 benchmark (`run_s3bench`: 150 x
4 MiB, 400 x 64 KiB, as the full depth's fallback) and `rados bench` (5 s write, 5 s seq read)
from the same host. Every run is bounded (warp's `--duration`, a timeout) and stopped by PID.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.twinstats import alternating_rounds, paired_difference, twin_difference
from harness.profile import load_profile
from harness.targets.lab import LabTarget
from harness.targets.lab.ceph_config import client_node
from harness.targets.storage import Bucket
from harness.workloads import warp
from harness.workloads.s3bench import MIB, S3BenchSpec
from suites.storage.s3runs import warp_spec

ROOT = Path(__file__).resolve().parent.parent
PROFILE = ROOT / "profiles" / "lab.yaml"
SIZES = {"4M": 4 * MIB, "1M": MIB, "64K": 64 * 1024}
AVERAGE = re.compile(r"\* Average: (?P<mib>[\d.]+) MiB/s, (?P<ops>[\d.]+) obj/s")


def warp_by_hand(target: LabTarget, bucket: Bucket, spec: warp.WarpSpec, scratch: Path,
                 flag: str = "--json") -> subprocess.CompletedProcess[str]:
    """warp with the suite's arguments (`flag` in place of its `--json`) from the client's
    namespace, keys in the environment and no proxy, its benchdata in `scratch`."""
    argv = warp.warp_argv(str(warp.locate()), spec, benchdata=scratch / spec.op)
    argv[argv.index("--json")] = flag
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.update(zip(warp.KEY_ENV, (bucket.access_key, bucket.secret_key), strict=True))
    return subprocess.run(["ip", "netns", "exec", client_node(target.plan).name, *argv], env=env,
                          capture_output=True, text=True, timeout=spec.limit_s(), check=True, cwd=scratch)


def json_rates(report: str, op: str) -> tuple[float, float]:
    """(MiB/s, obj/s) of `op` in warp's JSON report, by plain access: over its measured window."""
    throughput = json.loads(report)["by_op_type"][op.upper()]["throughput"]
    seconds = throughput["measure_duration_millis"] / 1000
    return throughput["bytes"] / seconds / MIB, throughput["ops"] / seconds


def hand_run(target: LabTarget, bucket: Bucket, op: str, size: int,
             flag: str = "--quiet") -> tuple[float, float, float | None]:
    """warp by hand with the suite's arguments; (MiB/s, obj/s) from its own text report (or with
    `--json`, the suite's own flag, from its JSON by plain access), and the harness's parser on
    the same run's data (`<benchdata>.json.zst`, when `zstd` is installed)."""
    with tempfile.TemporaryDirectory(prefix="warp-twin-") as scratch:
        done = warp_by_hand(target, bucket, warp_spec(op, bucket, size), Path(scratch), flag)
        parsed = None
        if shutil.which("zstd"):
            data = subprocess.run(["zstd", "-dc", str(Path(scratch) / f"{op}.json.zst")],
                                  capture_output=True, text=True, timeout=30, check=True).stdout
            parsed = warp.parse_warp(data).op(op).throughput_mib_s
    if flag == "--json":
        return (*json_rates(done.stdout, op), parsed)
    found = AVERAGE.search(done.stdout)
    if found is None:
        sys.exit(f"warp printed no average:\n{done.stdout[-1000:]}\n{done.stderr[-500:]}")
    return float(found["mib"]), float(found["ops"]), parsed


def harness_run(target: LabTarget, bucket: Bucket, op: str, size: int) -> tuple[float, float, float]:
    """(MiB/s, ops/s, CV of the per-second samples) as the suite records them."""
    measured = target.storage.run_warp(bucket, warp_spec(op, bucket, size)).op(op)
    samples = [s.mib_s for s in measured.samples]
    cv = statistics.pstdev(samples) / statistics.fmean(samples)
    return measured.throughput_mib_s, measured.ops_per_s, cv


def twin_rounds(target: LabTarget, bucket: Bucket, cases: list[tuple[str, str]], rounds: int,
                hand_flag: str) -> None:
    for op, size_name in cases:
        size = SIZES[size_name]
        mine: list[float] = []
        hand: list[float] = []

        def ours(op: str = op, size: int = size) -> tuple[float, float, float]:
            found = harness_run(target, bucket, op, size)
            time.sleep(1)
            return found

        def theirs(op: str = op, size: int = size) -> tuple[float, float, float | None]:
            found = hand_run(target, bucket, op, size, hand_flag)
            time.sleep(1)
            return found

        for round_, first, (mib, ops, cv), (mib_hand, ops_hand, same_run) in alternating_rounds(
                rounds, ours, theirs):
            mine.append(mib)
            hand.append(mib_hand)
            print(f"{op} {size_name} round {round_} ({first} first, load {os.getloadavg()[0]:.1f}): "
                  f"harness {mine[-1]:.2f} MiB/s {ops:.1f} ops/s (per-second CV {cv:.1%}) | "
                  f"hand {hand[-1]:.2f} MiB/s {ops_hand:.1f} obj/s (the harness's parser on that "
                  f"run's own data: {'-' if same_run is None else f'{same_run:.2f}'})", flush=True)
        a, b = statistics.fmean(mine), statistics.fmean(hand)
        spread = statistics.stdev(hand) / b if len(hand) > 1 else 0.0
        ratios = [m / h - 1 for m, h in zip(mine, hand, strict=True)]
        print(f"{op} {size_name} mean: harness {a:.2f} MiB/s, hand {b:.2f} MiB/s, harness vs hand "
              f"{(a - b) / b:+.1%}; per round {', '.join(f'{r:+.1%}' for r in ratios)} (median "
              f"{statistics.median(ratios):+.1%}); hand runs' own CV {spread:.1%}", flush=True)
        print(f"{op} {size_name} medians (MiB/s): {twin_difference(mine, hand).sentence()}", flush=True)
        print(f"{op} {size_name} paired rounds: {paired_difference(mine, hand).sentence()}", flush=True)


MIXED_OPS = ("get", "put", "stat", "delete")


def mixed_rounds(target: LabTarget, bucket: Bucket, rounds: int) -> None:
    """The suite's mixed load at 1 MiB (`test_mixed_load`): each operation's rate, the harness's
    through its parser, the hand run's from warp's JSON by plain access, as for `--hand-flag json`."""
    spec = warp_spec("mixed", bucket, SIZES["1M"])

    def ours() -> dict[str, float]:
        result = target.storage.run_warp(bucket, spec)
        time.sleep(1)
        return {op: result.op(op).ops_per_s for op in MIXED_OPS}

    def theirs() -> dict[str, float]:
        with tempfile.TemporaryDirectory(prefix="warp-twin-") as scratch:
            done = warp_by_hand(target, bucket, spec, Path(scratch))
        time.sleep(1)
        return {op: json_rates(done.stdout, op)[1] for op in MIXED_OPS}

    mine: dict[str, list[float]] = {op: [] for op in MIXED_OPS}
    hand: dict[str, list[float]] = {op: [] for op in MIXED_OPS}
    for round_, first, harness, by_hand in alternating_rounds(rounds, ours, theirs):
        for op in MIXED_OPS:
            mine[op].append(harness[op])
            hand[op].append(by_hand[op])
        pairs = ", ".join(f"{op} {harness[op]:.2f} | {by_hand[op]:.2f}" for op in MIXED_OPS)
        print(f"mixed 1M round {round_} ({first} first, load {os.getloadavg()[0]:.1f}) obj/s, "
              f"harness | hand: {pairs}", flush=True)
    for op in MIXED_OPS:
        print(f"mixed 1M {op} obj/s medians: {twin_difference(mine[op], hand[op]).sentence()}", flush=True)
        print(f"mixed 1M {op} obj/s paired rounds: {paired_difference(mine[op], hand[op]).sentence()}",
              flush=True)


def compare(target: LabTarget, bucket: Bucket, cases: list[tuple[str, str]]) -> None:
    """Once: boto3 and rados bench beside warp, for the same cases."""
    for size_name in dict.fromkeys(size for _, size in cases):
        size = SIZES[size_name]
        spec = S3BenchSpec(endpoint=bucket.endpoint, bucket=bucket.name, object_sizes=(size,),
                           objects=150 if size >= MIB else 400, threads=8, max_s=30)
        boto = target.storage.run_s3bench(bucket, spec)
        for op in ("put", "get"):
            w_mib, w_ops, _ = harness_run(target, bucket, op, size)
            phase = boto.phase(op, size)
            print(f"compare {op} {size_name}: warp {w_mib:.2f} MiB/s {w_ops:.1f} ops/s | boto3 "
                  f"{phase.throughput_mib_s:.2f} MiB/s {phase.ops_per_s:.1f} ops/s (warp vs boto3 "
                  f"{w_mib / phase.throughput_mib_s - 1:+.1%})", flush=True)
    twins = target.storage.object_twins(seconds=5)
    print(f"compare rados bench 4M: write {twins.write.bandwidth_mib_s:.2f} MiB/s, seq read "
          f"{twins.read.bandwidth_mib_s:.2f} MiB/s ({twins.read.command})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cases", default="put:4M,get:4M,put:64K,get:64K")
    parser.add_argument("--mixed", action="store_true",
                        help="also the mixed load at 1 MiB, each operation's rate (alone: --cases '')")
    parser.add_argument("--compare", action="store_true", help="boto3 and rados bench once, after")
    parser.add_argument("--hand-flag", choices=("quiet", "json"), default="quiet",
                        help="the hand run's output flag in place of the suite's --json")
    args = parser.parse_args()
    cases = [(c.split(":")[0], c.split(":")[1]) for c in args.cases.split(",") if c]
    target = LabTarget(load_profile(PROFILE))
    if not target.lab.status().running or not target.lab.built_from_this_plan():
        sys.exit(f"the lab of {PROFILE.name} is not up: bring it up first (harness lab up)")
    refusal = target.storage.warp_refusal()
    if refusal:
        sys.exit(refusal)
    print(json.dumps({"warp": str(warp.locate()), "cases": args.cases, "rounds": args.rounds}))
    with target.storage.bucket() as bucket:
        if args.rounds and cases:
            twin_rounds(target, bucket, cases, args.rounds, f"--{args.hand_flag}")
        if args.rounds and args.mixed:
            mixed_rounds(target, bucket, args.rounds)
        if args.compare:
            compare(target, bucket, cases)


if __name__ == "__main__":
    main()
