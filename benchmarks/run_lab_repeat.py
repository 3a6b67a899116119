"""Benchmark: the main job, run N times in a row, optionally beside a CPU-heavy process.

    .venv/bin/python benchmarks/run_lab_repeat.py [--runs 5] [--hog] [-- pytest args ...]

Each round runs `scripts/run-lab` as a user would (set-up, lab up, `pytest suites/`, lab down)
and reads its verdict from the run file it wrote. With `--hog` a busy loop runs on one core for
the whole round: it stops itself after its deadline and is stopped by PID when the round ends.
Prints one line per round (exit status, wall time, failed checks) and a summary.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS_DIR = ROOT / "reports" / "runs"
HOG_DEADLINE_S = 1200  # longer than a round; the loop also ends itself if we are killed
ROUND_TIMEOUT_S = 1500


def start_hog(deadline_s: float) -> subprocess.Popen[bytes]:
    loop = f"import time\nend = time.monotonic() + {deadline_s}\nwhile time.monotonic() < end: pass\n"
    return subprocess.Popen([sys.executable, "-c", loop])


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def newest_run_file(after: set[Path]) -> Path | None:
    fresh = sorted(set(RUNS_DIR.glob("run-*.json")) - after)
    return fresh[-1] if fresh else None


def run_round(pytest_args: list[str], hog: bool) -> tuple[int, float, Path | None]:
    before = set(RUNS_DIR.glob("run-*.json"))
    hog_process = start_hog(HOG_DEADLINE_S) if hog else None
    began = time.monotonic()
    try:
        job = subprocess.run([str(ROOT / "scripts" / "run-lab"), *pytest_args], cwd=ROOT,
                             stdout=subprocess.DEVNULL, timeout=ROUND_TIMEOUT_S, check=False)
        status = job.returncode
    finally:
        if hog_process is not None:
            stop(hog_process)
    return status, time.monotonic() - began, newest_run_file(before)


def describe(run_file: Path | None) -> tuple[str, list[str]]:
    if run_file is None:
        return "no run file", []
    document = json.loads(run_file.read_text())
    failed = [o["nodeid"] for o in document["outcomes"] if o["outcome"] in ("failed", "error")]
    return f"{document['run']['status']}, {len(document['outcomes'])} checks ({run_file.name})", failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--hog", action="store_true", help="run a one-core busy loop beside each round")
    parser.add_argument("pytest_args", nargs="*", help="passed to scripts/run-lab (after --)")
    args = parser.parse_args()
    passed = 0
    for number in range(1, args.runs + 1):
        status, wall_s, run_file = run_round(args.pytest_args, args.hog)
        verdict, failed = describe(run_file)
        passed += status == 0
        print(f"round {number}/{args.runs}{' (hog)' if args.hog else ''}: exit {status}, "
              f"{wall_s:.0f} s, {verdict}", flush=True)
        for nodeid in failed:
            print(f"    failed: {nodeid}", flush=True)
    print(f"{passed}/{args.runs} rounds passed")
    sys.exit(0 if passed == args.runs else 1)


if __name__ == "__main__":
    main()
