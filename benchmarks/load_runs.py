"""Benchmark: load 1,000 run files of 100 measurements each into DataFrames.

    .venv/bin/python benchmarks/load_runs.py [--runs 1000] [--metrics 100]

Prints the wall time of `load_frames` (best of 3) and the row counts.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from harness.results import load_frames
from harness.results.synthetic import History, write_history


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--metrics", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        runs_dir = Path(scratch)
        write_history(runs_dir, History(runs=args.runs, metrics=args.metrics, extras_in_last_run=False))
        timings = []
        for _ in range(3):
            began = time.perf_counter()
            frames = load_frames(runs_dir)
            timings.append(time.perf_counter() - began)
        print(f"load_frames: {args.runs} run files x {args.metrics} measurements -> "
              f"{len(frames.runs)} runs, {len(frames.measurements)} measurements, "
              f"{len(frames.outcomes)} outcomes in {min(timings):.2f} s (best of 3; "
              f"worst {max(timings):.2f} s)")


if __name__ == "__main__":
    main()
