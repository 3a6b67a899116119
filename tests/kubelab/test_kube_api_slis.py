"""The API SLIs (suites/api) against the real API server of the Kubernetes lab: they pass on a
healthy lab with every figure recorded, and each check fails exactly on its seeded defect (a
dead admission webhook on ConfigMap writes, a slow kubelet on one node)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.profile.defect_map import KUBE_LAB, proofs
from harness.targets.lab import LabTarget
from tests.kubelab.conftest import PROFILE, defect_profile
from tests.lab.harness_run import run_harness

pytestmark = pytest.mark.kubelab

API_DEFECTS = {p.defect: p for p in proofs(KUBE_LAB) if "suites/api" in p.runs}


def test_api_slis_pass_on_a_healthy_lab_with_every_figure(healthy_kube_lab: LabTarget,
                                                          tmp_path: Path) -> None:
    run = run_harness(tmp_path, "suites/api", profile=PROFILE)
    assert run.returncode == 0, run.output
    assert len(run.outcomes()) == 8 and set(run.outcomes().values()) == {"passed"}
    rows = run.document["measurements"]
    p99 = {r["tags"]["verb"]: r["value"] for r in rows if r["metric"] == "api.load.p99"}
    rate = {r["tags"]["verb"]: r["value"] for r in rows if r["metric"] == "api.load.calls_per_s"}
    startup = {r["tags"]["node"]: r["value"] for r in rows if r["metric"] == "pod.startup.max"}
    assert set(p99) == set(rate) == {"create", "get", "list", "delete"}
    assert set(startup) == {"cp1", "cp2", "cp3", "wk1"}
    assert all(v > 0 for v in (*p99.values(), *rate.values(), *startup.values()))
    print("API load, 8 clients: " + ", ".join(f"{v} p99 {p99[v]:.0f} ms at {rate[v]:.0f}/s" for v in p99))
    print("pod startup (max of 3): " + ", ".join(f"{n} {s:.2f} s" for n, s in sorted(startup.items())))


@pytest.mark.parametrize("defect", sorted(API_DEFECTS))
def test_api_slis_fail_on_their_defect(kube_lab: LabTarget, tmp_path: Path, defect: str) -> None:
    proof = API_DEFECTS[defect]
    run = run_harness(tmp_path, *proof.runs, profile=defect_profile(tmp_path, defect))
    assert run.returncode == 1, run.output
    assert run.failed() == proof.names, run.output
