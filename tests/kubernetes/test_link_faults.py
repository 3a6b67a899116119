"""Partition and degraded link on the kubernetes target, on the fake API whose kubelet runs the
pods' own scripts (`fakelinkpods.py`): a fault is stamped when its pod says it is in force, a
pod that cannot apply it fails the fault in its own words, and each undo puts the link back."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from harness.targets.base import TargetError
from harness.targets.kubernetes import KubernetesTarget, linkpods
from harness.targets.kubernetes.settings import WaitSettings
from tests.kubernetes.fakecluster import NODES, FakeCluster
from tests.kubernetes.fakelinkpods import FakeLinkPods

NS = "harness-20250101t000000z-abc123"


def cluster_has_no_pod(target: KubernetesTarget, name: str) -> bool:
    return not any(p["metadata"]["name"] == name for p in target.api.list_pods(NS, label_selector=""))


@pytest.fixture
def kubelet(cluster: FakeCluster, tmp_path: Path) -> Iterator[FakeLinkPods]:
    found = FakeLinkPods(cluster.api, tmp_path / "nodes", NODES).install()
    yield found
    found.close()


@pytest.fixture
def target(k8s_target: KubernetesTarget, monkeypatch: pytest.MonkeyPatch) -> Iterator[KubernetesTarget]:
    monkeypatch.setattr(linkpods, "ARM_LEAD_S", 1)
    k8s_target.wait = replace(WaitSettings(), poll_interval_s=0.05, pod_timeout_s=10.0)
    k8s_target.prepare()
    yield k8s_target
    k8s_target.release()


def test_a_partition_is_stamped_at_the_second_its_pod_cut(
        target: KubernetesTarget, kubelet: FakeLinkPods) -> None:
    undo = target.faults.partition("kcp2", heal_after_s=1)
    returned_at = time.time()
    (stamp,) = target.events.since(0)
    assert stamp.kind == "partition" and stamp.node == "kcp2"
    assert stamp.time == int(stamp.time) and stamp.time <= returned_at  # the announced second
    log = target.api.pod_logs(NS, "partition-kcp2")
    assert f"harness-partition: cut eth0 at {int(stamp.time)}" in log
    deadline = time.monotonic() + 2  # the pod polls its clock every 50 ms: it cuts within that
    while len(calls := kubelet.calls("kcp2")) < 4 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert calls[-1] == "tc qdisc replace dev eth0 root pfifo limit 0"
    assert 'type filter hook ingress device "eth0" priority -500; policy drop;' in calls[-2]
    undo()  # waits for the pod's own timer, then deletes it
    undo()  # idempotent
    assert kubelet.calls("kcp2")[-2:] == ["tc qdisc del dev eth0 root",
                                          "nft delete table netdev harness_partition"]
    assert cluster_has_no_pod(target, "partition-kcp2")
    assert [e.kind for e in target.events.since(0)] == ["partition", "heal"]


def test_a_cut_its_pod_cannot_apply_fails_in_its_words_and_is_not_stamped(
        target: KubernetesTarget, kubelet: FakeLinkPods, cluster: FakeCluster) -> None:
    kubelet.failing = "tc"  # as on a node whose tc refuses the check
    with pytest.raises(TargetError, match="harness-partition: FAILED: the cut cannot be applied on "
                                          "this node"):
        target.faults.partition("kcp3", heal_after_s=5)
    assert target.events.since(0) == []
    assert not any(call.startswith(("nft -f", "tc qdisc replace")) for call in kubelet.calls("kcp3"))
    assert cluster.api.get("v1", "pods", "partition-kcp3", NS) is None  # deleted


def test_a_degraded_link_is_shaped_both_ways_and_restored_by_its_undo(
        target: KubernetesTarget, kubelet: FakeLinkPods) -> None:
    before = time.time()
    undo = target.faults.degrade_link("kwk1", 100)
    (stamp,) = target.events.since(0)
    assert (stamp.kind, stamp.node, stamp.detail) == ("degrade-link", "kwk1", "100 Mbit/s")
    assert stamp.time >= before
    calls = kubelet.calls("kwk1")
    assert calls[2].startswith("tc qdisc replace dev eth0 root tbf rate 100mbit ")
    assert calls[3].startswith("nft -f - table netdev harness_shape")
    assert "limit rate over 12500000 bytes/second" in calls[3]
    undo()
    undo()
    assert kubelet.calls("kwk1")[-2:] == ["tc qdisc del dev eth0 root",
                                          "nft delete table netdev harness_shape"]
    assert [e.kind for e in target.events.since(0)] == ["degrade-link", "restore-link"]


def test_a_degraded_link_on_a_node_without_its_address_is_refused_in_a_sentence(
        target: KubernetesTarget, kubelet: FakeLinkPods) -> None:
    kubelet.addresses = {**NODES, "kwk1": "127.0.0.99"}  # the node's uplink is not where we think
    with pytest.raises(TargetError, match=r"harness-shape: FAILED: no device carries 127\.0\.0\.14"):
        target.faults.degrade_link("kwk1", 100)
    assert kubelet.calls("kwk1") == [] and target.events.since(0) == []
