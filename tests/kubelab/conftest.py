"""The Kubernetes lab, once per session: real kube-apiservers behind the VIP, controller-manager,
scheduler and one kwok per node (profiles/lab-kubernetes.yaml). Needs root and the binaries that
`scripts/setup` builds (tools/build); the tier is skipped with that sentence when they are missing.

These tests replace the fake API where the real one can answer: admission (PodSecurity), RBAC,
namespace finalization, exec through a kubelet API, leases that move, `suites/nodes` and its
seeded defects (was tests/kubernetes/test_node_facts_on_fakes.py), LB addresses and Cilium's L2
leases (the lab's stand-in controller, kube_lb.py). The fakes in tests/kubernetes/ stay for what
the lab cannot produce: Talos' own API (talosctl), the BMC, Rook's controllers acting on their
objects (Ceph status), pods that really run (iperf3, fio, agnhost), and injected API failures
(status codes, resets, timeouts).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.profile import Profile, load_profile
from harness.targets.base import TargetError
from harness.targets.lab import LabTarget

REPO = Path(__file__).resolve().parents[2]
PROFILE = REPO / "profiles" / "lab-kubernetes.yaml"


def kube_profile(*defects: str) -> Profile:
    profile = load_profile(PROFILE)
    return profile.model_copy(update={"lab": profile.lab.model_copy(update={"defects": list(defects)})})


def defect_profile(tmp_path: Path, *defects: str) -> Path:
    """profiles/lab-kubernetes.yaml with these defects seeded."""
    text = PROFILE.read_text()
    assert "  defects: []" in text
    path = tmp_path / f"lab-kubernetes-{'-'.join(defects) or 'healthy'}.yaml".replace(":", "_")
    path.write_text(text.replace("  defects: []", f"  defects: [{', '.join(defects)}]", 1))
    return path


@pytest.fixture(scope="session")
def kube_lab() -> Iterator[LabTarget]:
    if os.geteuid() != 0:
        pytest.skip("Kubernetes-lab tests need root (network namespaces, real daemons)")
    from harness.targets.lab.kube import binaries

    try:
        binaries()
    except TargetError as error:
        pytest.skip(str(error))
    target = LabTarget(kube_profile())
    was_running = target.lab.status().running and target.lab.built_from_this_plan()
    try:
        target.prepare()
    except BaseException:  # a failed or interrupted bring-up leaves no half lab behind
        target.release()
        raise
    yield target
    if was_running:
        LabTarget(kube_profile()).prepare()  # defect runs replaced it: put the healthy one back
    else:
        LabTarget(kube_profile()).lab.down()


@pytest.fixture
def healthy_kube_lab(kube_lab: LabTarget) -> LabTarget:
    """The shared Kubernetes lab, rebuilt healthy if a defect run replaced it."""
    fresh = LabTarget(kube_profile())
    fresh.prepare()
    return fresh
