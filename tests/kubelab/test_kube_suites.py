"""The suites and the control-plane scenarios through the kubernetes target on the Kubernetes lab,
as a user runs them (`pytest ... --profile profiles/lab-kubernetes.yaml`): they pass on a healthy
lab, each check fails on its seeded defect, and measured outages match the lab's ground truth."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.metrics import LONGEST_UNAVAILABLE
from harness.profile.defect_map import KUBE_LAB, node_rounds, proofs
from harness.targets.lab import LabTarget
from tests.kubelab.conftest import PROFILE, defect_profile
from tests.lab.harness_run import HarnessRun, run_harness

pytestmark = pytest.mark.kubelab

SUITE_DEFECTS = {p.defect: p for p in proofs(KUBE_LAB) if p.runs == ("suites/controlplane",)}
SCENARIOS = ("scenarios/vip-holder-power-loss.yaml", "scenarios/etcd-leader-killed.yaml",
             "scenarios/follower-partitioned.yaml")
NODE_ROUNDS = {"+".join(p.defect for p in group): group for group in node_rounds(KUBE_LAB)}
"""Node-facts defects on different nodes share a lab; each fails only its own node's check."""
SCENARIO_DEFECTS = {p.defect: p for p in proofs(KUBE_LAB) if p.runs[0].startswith("scenarios/")}
GROUND_TRUTH_TOLERANCE_S = 0.2


def test_controlplane_and_node_suites_pass(healthy_kube_lab: LabTarget, tmp_path: Path) -> None:
    run = run_harness(tmp_path, "suites/controlplane", "suites/nodes", profile=PROFILE)
    assert run.returncode == 0, run.output
    outcomes = run.outcomes()
    assert len(outcomes) == 8 + 16
    assert set(outcomes.values()) == {"passed"}
    meta = run.document["run"]
    assert meta["target"] == "kubernetes://lab-kubernetes"
    assert meta["components"]["kubernetes"] == "v1.37.2"
    assert meta["components"]["etcd"].startswith("3.7")


@pytest.mark.parametrize("defect", sorted(SUITE_DEFECTS))
def test_controlplane_checks_fail_on_their_defect(kube_lab: LabTarget, tmp_path: Path,
                                                   defect: str) -> None:
    run = run_harness(tmp_path, "suites/controlplane", profile=defect_profile(tmp_path, defect))
    assert run.returncode == 1, run.output
    assert SUITE_DEFECTS[defect].explains(run.failed()), run.output
    assert len(run.outcomes()) == 8
    if defect.startswith("vip-"):  # the session went around the VIP, and said so
        assert "this run reaches it through cp1 at 198.18.0.11:6443 directly" in run.output, run.output


@pytest.mark.parametrize("defects", sorted(NODE_ROUNDS))
def test_node_facts_fail_on_their_defect(kube_lab: LabTarget, tmp_path: Path, defects: str) -> None:
    group = NODE_ROUNDS[defects]
    run = run_harness(tmp_path, "suites/nodes", profile=defect_profile(tmp_path, *(p.defect for p in group)))
    assert run.returncode == 1, run.output
    assert run.failed() == set().union(*(p.names for p in group)), run.output
    assert len(run.outcomes()) == 16


def api_probe(run: HarnessRun, scenario: str) -> tuple[float, dict[str, float]]:
    """The API's longest outage in the scenario, and when each kind of event came (the last one
    of a kind, as stamped)."""
    probe = run.probe("api", scenario)
    longest = probe.figure(LONGEST_UNAVAILABLE)
    assert longest is not None
    return longest, {e.kind: e.time for e in run.records().events_of({probe.nodeid})}


def test_controlplane_scenarios_match_the_ground_truth(healthy_kube_lab: LabTarget,
                                                       tmp_path: Path) -> None:
    run = run_harness(tmp_path, *SCENARIOS, "--allow-disruption", profile=PROFILE)
    assert run.returncode == 0, run.output
    assert set(run.outcomes().values()) == {"passed"} and len(run.outcomes()) == 3
    # Power loss of the VIP holder: the API is back when keepalived moved the VIP to a node
    # whose apiserver is ready (its notify script stamps the instant).
    measured, events = api_probe(run, "vip-holder-power-loss")
    truth = events["vip-moved"] - events["power-off"]
    print(f"VIP holder power loss via the API: measured {measured:.3f} s, ground truth {truth:.3f} s")
    assert abs(measured - truth) <= GROUND_TRUTH_TOLERANCE_S, (measured, truth)
    # A partitioned follower costs the API nothing: the ground truth is no election at all.
    partition_outage, partition_events = api_probe(run, "follower-partitioned")
    assert partition_outage == 0.0
    assert "leader-elected" not in partition_events
    # etcd leader killed: writes stop until a new leader is elected (etcd's log stamps it) - or,
    # when the leader's node also held the VIP, until the VIP leaves the apiserver that lost its
    # only (local) etcd member (keepalived's notify stamps that).
    outage, events = api_probe(run, "etcd-leader-killed")
    back = events.get("vip-moved", events["leader-elected"])
    truth = back - events["kill"]
    print(f"etcd leader killed via the API: measured {outage:.3f} s, ground truth {truth:.3f} s "
          f"({'VIP moved' if 'vip-moved' in events else 'election'})")
    assert abs(outage - truth) <= GROUND_TRUTH_TOLERANCE_S, (outage, truth)


@pytest.mark.parametrize("defect", sorted(SCENARIO_DEFECTS))
def test_scenarios_fail_on_their_defect(kube_lab: LabTarget, tmp_path: Path, defect: str) -> None:
    proof = SCENARIO_DEFECTS[defect]
    run = run_harness(tmp_path, *proof.runs, "--allow-disruption", profile=defect_profile(tmp_path, defect))
    assert run.returncode == 1, run.output
    assert run.failed() == proof.names, run.output
    assert proof.expectations <= run.unmet() <= proof.expectations | proof.expectations_may, run.output


def test_preflight_runs_on_every_node_and_names_the_one_without_a_kubelet(kube_lab: LabTarget,
                                                                           tmp_path: Path) -> None:
    # The nodes suite needs the debug image: one no-op pod on each of the 4 nodes. cp1-3's kwok
    # completes theirs; wk1 has none, so its pod stays Pending and only that pair is named.
    run = run_harness(tmp_path, "suites/nodes", profile=defect_profile(tmp_path, "kubelet-down:wk1"))
    assert run.returncode == 4, run.output  # a usage error: no check ran on a cluster that can't
    assert "failed its preflight: 1 of 4 image/node pairs cannot run" in run.output, run.output
    assert "cannot run on wk1" in run.output and "Pending" in run.output, run.output
    assert not [n for n in ("cp1", "cp2", "cp3") if f"cannot run on {n}" in run.output]
    assert run.outcomes() == {}
