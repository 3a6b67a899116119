"""Seeded synthetic run files in the documented format, for tests, the benchmark and demos."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from harness import metrics
from harness.probes.sampler import Sample
from harness.probes.windows import summarize
from harness.results.probe_records import (
    EventRecord,
    EventsTimeline,
    ProbeTimeline,
    SampleColumns,
    WindowRecord,
)
from harness.results.records import FORMAT_NAME, FORMAT_VERSION, RunMeta, Timeline
from harness.results.scenario_records import ExpectationRecord, ScenarioRecord, StepRecord
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
                         "message": FAILURE_REPORT if failed else None, "worker": "gw0"})
    rows.append({"nodeid": "suites/workloads/test_gpu.py::test_cuda", "outcome": "skipped",
                 "duration_s": 0.0, "message": "profile has no GPU node", "worker": "gw1"})
    return rows


FAILURE_SENTENCE = "ceph health HEALTH_WARN: 1 osds down"
# What pytest's long report of a failed assert looks like (harness/plugin/items.py stores it):
# the test's arguments first, then its source, then the exception on `E` lines.
FAILURE_REPORT = f"""target = <harness.targets.lab.target.LabTarget object at 0x7f3a2c1d9e50>

    def test_0(target):
        health = target.storage.health()
>       assert health == "HEALTH_OK", f"ceph health {{health}}: 1 osds down"
E       AssertionError: {FAILURE_SENTENCE}
E       assert 'HEALTH_WARN' == 'HEALTH_OK'

suites/storage/test_storage.py:12: AssertionError"""
GOODPUT_NODES = ["cp1", "cp2", "worker1", "worker2"]


def goodput_rows(when: datetime) -> list[dict[str, Any]]:
    """Both goodput matrices as suites/network/test_throughput.py records them."""
    rows = []
    for kind, slower in (("node_to_node", 0.0), ("pod_to_pod", 23.0)):
        rows += [{"metric": f"network.{kind}.goodput", "value": 940.0 - slower - 37 * a - 11 * b,
                  "unit": "Mbit/s", "higher_is_better": True, "ceiling": 941.0,
                  "tags": {"sender": s, "receiver": d},
                  "nodeid": f"suites/network/test_throughput.py::test_{kind}_goodput[{s}-{d}]",
                  "time": when.isoformat()}
                 for a, s in enumerate(GOODPUT_NODES) for b, d in enumerate(GOODPUT_NODES) if s != d]
    return rows


FAULT_AT = 30.0
SCENARIO = "failover"
SCENARIO_NODEID = "scenarios/failover.yaml::failover"
OUTAGES = {"api-server": [(31.0, 38.5)], "ingress-http": [(32.0, 34.0), (76.0, 79.0)],
           "rbd-write": [(76.5, 88.0)]}


def probe_timeline(name: str, outages: list[tuple[float, float]], *,
                   observation: str | None) -> ProbeTimeline:
    """A 2 Hz probe timeline whose failed samples time out after 1.5 s, with the figures
    harness/probes/windows.py derives from it, as the runner records it."""
    samples, at = [], 0.0
    while at < 120.0:
        ok = not any(a <= at <= b for a, b in outages)
        samples.append(Sample(at, ok, 0.004 if ok else 1.5, None if ok else "timeout"))
        at += 0.5 if ok else 1.5
    figures = summarize(samples, fault_at=FAULT_AT)
    return ProbeTimeline(
        name=name, probe=name, rate_hz=2.0, fault_at=FAULT_AT, figures=figures.figures(),
        samples=SampleColumns(tuple(x.time for x in samples), tuple(x.ok for x in samples),
                              tuple(x.latency_s for x in samples), tuple(x.error for x in samples),
                              tuple(x.value for x in samples)),
        windows=tuple(WindowRecord(w.start, w.end, w.failed_samples, w.recovered, w.first_error)
                      for w in figures.windows),
        observation=observation, scenario=SCENARIO if observation else None, nodeid=SCENARIO_NODEID)


def journal(api: ProbeTimeline) -> ScenarioRecord:
    """A scenario journal (harness/chaos/rows.py) judged on the api-server probe's figures."""
    longest = api.figure(metrics.LONGEST_UNAVAILABLE) or 0.0
    availability = api.figure(metrics.AVAILABILITY_PCT) or 0.0
    steps = [("steady-state", 26.0, 28.0), ("power_off cp1", 29.9, 30.1), ("observe", 30.1, 100.0),
             ("rollback: power_on cp1", 100.0, 104.0)]
    expectations = (
        ExpectationRecord("api.longest_unavailable_s <= 10", "api.longest_unavailable_s", 10.0,
                          longest <= 10.0),
        ExpectationRecord("api.availability_pct >= 95", "api.availability_pct", 95.0,
                          availability >= 95.0))
    return ScenarioRecord(
        name=f"{SCENARIO}.journal", title="Control-plane node power loss",
        source="scenarios/power-loss.yaml", target="lab", status="completed", deviated=False,
        passed=all(e.ok for e in expectations), started=26.0, ended=104.0, fault_at=FAULT_AT,
        bindings={"holder": "cp1"}, nodeid=SCENARIO_NODEID,
        steps=tuple(StepRecord(n, a, b, "ok") for n, a, b in steps), expectations=expectations)


def extra_timelines() -> list[dict[str, Any]]:
    events = EventsTimeline(f"{SCENARIO}.events", (
        EventRecord(30.0, "node-reboot", "cp1", "talosctl reboot"),
        EventRecord(75.0, "osd-kill", "worker2", "osd.3 stopped")), nodeid=SCENARIO_NODEID)
    probes = [probe_timeline(name, outages, observation="api" if name == "api-server" else None)
              for name, outages in OUTAGES.items()]
    pairs = [{"src": s, "dst": d, "port": p, "expected": e, "observed": o}
             for s, d, p, e, o in [("frontend", "backend", 8080, "allow", "allow"),
                                   ("frontend", "db", 5432, "deny", "deny"),
                                   ("backend", "db", 5432, "allow", "allow"),
                                   ("default", "backend", 8080, "deny", "allow"),
                                   ("default", "db", 5432, "deny", "deny")]]
    rows = [*(p.to_row() for p in probes), journal(probes[0]).to_row(), events.to_row(),
            Timeline("policy", "policy-matrix", {"pairs": pairs})]
    return [asdict(row) for row in rows]
