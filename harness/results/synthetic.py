"""Seeded synthetic run files in the documented format, for tests, the benchmark and demos."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from harness.results.records import FORMAT_NAME, FORMAT_VERSION, RunMeta
from harness.results.store import run_file_path, write_json_atomically

UNITS = [("MB/s", True, True), ("ms", False, False), ("ops/s", True, False), ("s", False, True)]
SUITES = ["network", "storage", "control-plane", "workloads"]
COMPONENTS = {"talos": "v1.8.1", "kubernetes": "v1.31.2", "cilium": "1.16.3", "rook-ceph": "v1.15.4"}


@dataclass(frozen=True)
class History:
    runs: int = 30
    metrics: int = 10
    seed: int = 0
    noise: float = 0.02  # relative standard deviation of every series
    steps: dict[int, list[tuple[int, float]]] = field(default_factory=dict)  # metric -> (run, x)
    version_change_at: int | None = None  # cilium upgraded at this run
    extras_in_last_run: bool = True  # failures, probe timelines, goodput, policy matrix
    profile: str = "homelab"
    target: str = "lab"


def metric_name(j: int) -> str:
    area = ["net", "storage", "etcd", "api"][j % 4]
    return f"{area}.bench_{j:03d}"


def write_history(runs_dir: Path, spec: History) -> list[str]:
    """Write `spec.runs` run files (one per hour) and return their ids, oldest first."""
    rng = np.random.default_rng(spec.seed)
    levels = rng.uniform(10, 1000, spec.metrics)
    factors = np.ones((spec.runs, spec.metrics))
    for j, steps in spec.steps.items():
        for at, factor in steps:
            factors[at:, j] *= factor
    values = levels * factors * (1 + spec.noise * rng.standard_normal((spec.runs, spec.metrics)))
    start = datetime(2026, 1, 1, tzinfo=UTC)
    ids = []
    for i in range(spec.runs):
        when = start + timedelta(hours=i)
        run_id = f"{when:%Y%m%dT%H%M%SZ}-{i:06x}"
        components = dict(COMPONENTS)
        if spec.version_change_at is not None and i >= spec.version_change_at:
            components["cilium"] = "1.17.0"
        last = i == spec.runs - 1
        meta = RunMeta(id=run_id, target=spec.target, profile=spec.profile,
                       harness_version="0.1.0", started=when.isoformat(),
                       ended=(when + timedelta(minutes=20)).isoformat(),
                       status="failed" if last and spec.extras_in_last_run else "passed",
                       components=components)
        document: dict[str, Any] = {
            "format": FORMAT_NAME, "version": FORMAT_VERSION, "run": asdict(meta),
            "outcomes": _outcomes(last and spec.extras_in_last_run),
            "measurements": [_measurement(j, float(values[i, j]), levels[j], when) for j in
                             range(spec.metrics)],
            "timelines": []}
        if last and spec.extras_in_last_run:
            document["measurements"] += goodput_rows(when)
            document["timelines"] += extra_timelines()
        write_json_atomically(run_file_path(runs_dir, run_id), document)
        ids.append(run_id)
    return ids


def _measurement(j: int, value: float, level: float, when: datetime) -> dict[str, Any]:
    unit, higher, has_ceiling = UNITS[j % len(UNITS)]
    ceiling = round(level * 1.6, 1) if has_ceiling else None
    tags = {"node": f"worker{j % 3 + 1}"} if j % 5 == 0 else {}
    return {"metric": metric_name(j), "value": value, "unit": unit, "higher_is_better": higher,
            "ceiling": ceiling, "tags": tags, "nodeid": f"suites/{SUITES[j % 4]}/test_bench.py::"
            f"test_{j}", "time": when.isoformat()}


def _outcomes(with_failures: bool) -> list[dict[str, Any]]:
    rows = []
    for k, suite in enumerate(SUITES):
        for t in range(3):
            failed = with_failures and k == 1 and t == 0
            rows.append({"nodeid": f"suites/{suite}/test_{suite.replace('-', '_')}.py::test_{t}",
                         "outcome": "failed" if failed else "passed", "duration_s": 1.5 + t,
                         "message": "AssertionError: ceph health HEALTH_WARN: 1 osds down"
                         if failed else None, "worker": "gw0"})
    rows.append({"nodeid": "suites/workloads/test_gpu.py::test_cuda", "outcome": "skipped",
                 "duration_s": 0.0, "message": "profile has no GPU node", "worker": "gw1"})
    return rows


def goodput_rows(when: datetime) -> list[dict[str, Any]]:
    nodes = ["cp1", "cp2", "worker1", "worker2"]
    return [{"metric": "network.goodput", "value": 940.0 - 37 * a - 11 * b, "unit": "Mbit/s",
             "higher_is_better": True, "ceiling": 1000.0, "tags": {"src": s, "dst": d},
             "nodeid": "suites/network/test_goodput.py::test_pairs", "time": when.isoformat()}
            for a, s in enumerate(nodes) for b, d in enumerate(nodes) if s != d]


def extra_timelines() -> list[dict[str, Any]]:
    events = [{"time": 30.0, "kind": "node-reboot", "node": "cp1", "detail": "talosctl reboot"},
              {"time": 75.0, "kind": "osd-kill", "node": "worker2", "detail": "osd.3 stopped"}]
    probes = []
    for name, windows in (("api-server", [[31.0, 38.5]]), ("ingress-http", [[32.0, 34.0],
                                                                             [76.0, 79.0]]),
                          ("rbd-write", [[76.5, 88.0]])):
        times = [t / 2 for t in range(0, 240)]
        oks = [not any(a <= t <= b for a, b in windows) for t in times]
        data = {"probe": name, "rate_hz": 2.0, "fault_at": 30.0,
                "samples": {"time": times, "ok": oks, "latency_s": [0.004] * len(times),
                            "error": [None if ok else "timeout" for ok in oks], "value": [None] * len(times)},
                "windows": [{"start": a, "end": b, "failed_samples": int((b - a) * 2), "recovered": True,
                             "first_error": "timeout", "duration_s": b - a} for a, b in windows],
                "events": events}
        probes.append({"name": name, "kind": "probe", "nodeid": "scenarios/failover.yaml::failover",
                       "data": data})
    pairs = [{"src": s, "dst": d, "port": p, "expected": e, "observed": o}
             for s, d, p, e, o in [("frontend", "backend", 8080, "allow", "allow"),
                                   ("frontend", "db", 5432, "deny", "deny"),
                                   ("backend", "db", 5432, "allow", "allow"),
                                   ("default", "backend", 8080, "deny", "allow"),
                                   ("default", "db", 5432, "deny", "deny")]]
    return [*probes, {"name": "policy", "kind": "policy-matrix", "data": {"pairs": pairs}}]
