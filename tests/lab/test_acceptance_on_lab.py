"""The main job on a healthy lab: suites and scenarios pass, measured failover matches the
lab's ground truth, and the run file holds what a report needs."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.metrics import LONGEST_UNAVAILABLE
from harness.targets.lab import LabTarget
from tests.lab.harness_run import run_harness

pytestmark = pytest.mark.lab

CONTROLPLANE_SCENARIOS = ("scenarios/vip-holder-power-loss.yaml", "scenarios/etcd-leader-killed.yaml",
                          "scenarios/follower-partitioned.yaml")


def test_controlplane_suite_passes(lab: LabTarget, tmp_path: Path) -> None:
    run = run_harness(tmp_path, "suites/controlplane")
    assert run.returncode == 0, run.output
    outcomes = run.outcomes()
    assert len(outcomes) == 8
    assert set(outcomes.values()) == {"passed"}
    metrics = {m["metric"] for m in run.document["measurements"]}
    assert {"api.roundtrip.p50", "api.roundtrip.p99"} <= metrics
    assert run.document["run"]["components"]["etcd"].startswith("3.")


def test_scenarios_pass_and_failover_matches_ground_truth(lab: LabTarget, tmp_path: Path) -> None:
    run = run_harness(tmp_path, *CONTROLPLANE_SCENARIOS, "--allow-disruption", "-v")
    assert run.returncode == 0, run.output
    assert set(run.outcomes().values()) == {"passed"}
    assert len(run.outcomes()) == 3
    journals = {t["name"].split(".")[0]: t["data"] for t in run.timelines("chaos-journal")}
    assert len(journals) == 3
    for journal in journals.values():
        assert journal["passed"]
        assert any(step["name"].startswith("rollback") for step in journal["steps"])
    probe = run.probe("api", "vip-holder-power-loss")
    events = {e.kind: e.time for e in run.records().events_of({probe.nodeid})}
    truth = events["vip-moved"] - events["power-off"]
    measured = probe.figure(LONGEST_UNAVAILABLE)
    assert measured is not None
    print(f"VIP holder power loss: measured {measured:.3f} s, ground truth {truth:.3f} s")
    assert abs(measured - truth) <= 0.2, (measured, truth)
    # Rollbacks left the control plane whole.
    members = lab.controlplane.members()
    assert [m.healthy for m in members] == [True, True, True]
    lab.controlplane.roundtrip()
