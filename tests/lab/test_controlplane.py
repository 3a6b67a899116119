"""The lab's control plane: three healthy etcd members, one leader, a VIP that answers fast."""

from __future__ import annotations

import platform
import statistics
import time

import pytest

from harness.targets.lab import LabTarget

pytestmark = pytest.mark.lab


def test_three_healthy_members_and_one_leader(lab: LabTarget) -> None:
    members = lab.controlplane.members()
    assert [(m.node, m.healthy) for m in members] == [("cp1", True), ("cp2", True), ("cp3", True)]
    assert sum(m.is_leader for m in members) == 1
    assert lab.controlplane.leader() in {"cp1", "cp2", "cp3"}


def test_roundtrip_through_the_vip_takes_milliseconds(lab: LabTarget) -> None:
    latencies = []
    for _ in range(40):
        began = time.perf_counter()
        lab.controlplane.roundtrip(timeout_s=1.0)
        latencies.append(time.perf_counter() - began)
    assert statistics.median(latencies) < 0.02  # a 20 Hz prober needs far less than 50 ms


def test_each_member_answers_directly(lab: LabTarget) -> None:
    for node in ("cp1", "cp2", "cp3"):
        lab.controlplane.roundtrip_direct(node, timeout_s=1.0)


def test_vip_is_held_by_a_controlplane_node(lab: LabTarget) -> None:
    assert lab.controlplane.vip_holder() in {"cp1", "cp2", "cp3"}
    assert lab.controlplane.endpoint == "198.18.0.10:2379"


def test_nodes_are_ready_and_components_known(lab: LabTarget) -> None:
    assert [(n.name, n.ready) for n in lab.nodes()] == [("cp1", True), ("cp2", True), ("cp3", True),
                                                        ("wk1", True)]
    components = lab.components()
    assert components["etcd"].startswith("3.4.")
    # the tools the lab runs, as their own --version says, and the one kernel every node shares
    assert {"keepalived", "nftables", "iperf3"} <= set(components)  # no Ceph here: no ceph, fio
    assert components["kernel"] == platform.release()
    assert lab.id == "lab://lab"
