"""Synthetic run files: for benchmarks and tests of everything that reads runs."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from harness.results.records import Measurement, Outcome, RunMeta, new_run_id
from harness.results.store import document_of, run_file_path, write_json_atomically


def write_synthetic_runs(runs_dir: Path, *, runs: int, metrics: int, seed: int = 7) -> list[Path]:
    """`runs` run files of `metrics` measurements each (noisy around a per-metric level)."""
    rng = random.Random(seed)
    levels = [rng.uniform(10, 1000) for _ in range(metrics)]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    paths = []
    for index in range(runs):
        when = start + timedelta(hours=index)
        meta = RunMeta(id=new_run_id(when), target="lab://lab", profile="lab", harness_version="0.1.0",
                       started=when.isoformat(), ended=(when + timedelta(minutes=5)).isoformat(),
                       status="passed", components={"etcd": "3.4.23"})
        measurements = [
            Measurement(metric=f"synthetic.metric{m:03d}", value=levels[m] * rng.gauss(1, 0.02),
                        unit="ms", higher_is_better=m % 2 == 0, ceiling=None, tags={"node": "cp1"},
                        nodeid=f"suites/test_synthetic.py::test_{m}", time=when.isoformat())
            for m in range(metrics)
        ]
        outcomes = [Outcome(nodeid=f"suites/test_synthetic.py::test_{m}", outcome="passed",
                            duration_s=0.1) for m in range(metrics)]
        rows = {"outcome": [o.__dict__ for o in outcomes],
                "measurement": [m.__dict__ for m in measurements], "timeline": []}
        path = run_file_path(runs_dir, meta.id)
        write_json_atomically(path, document_of(meta, rows))
        paths.append(path)
    return paths
