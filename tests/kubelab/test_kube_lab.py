"""The Kubernetes lab itself: a real API server behind the VIP, Nodes that kwok keeps Ready,
leases that move, the CRDs installed, and nothing left behind by `down`."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
from kubernetes import client as k8s

from harness.errors import HarnessError
from harness.targets.lab import LabTarget, kube_lb, net, procs
from harness.targets.lab import kube_config as kc
from harness.targets.lab.kube_objects import admin_client
from tests.kubelab.conftest import PROFILE, REPO, kube_profile
from tests.lab.conftest import lab_profile, still_running

pytestmark = pytest.mark.kubelab

CRDS = {"ciliumloadbalancerippools.cilium.io", "ciliuml2announcementpolicies.cilium.io",
        "ciliumnetworkpolicies.cilium.io", "ciliumclusterwidenetworkpolicies.cilium.io",
        "cephclusters.ceph.rook.io", "cephblockpools.ceph.rook.io", "cephobjectstores.ceph.rook.io",
        "objectbucketclaims.objectbucket.io", "objectbuckets.objectbucket.io"}


def test_api_behind_the_vip_is_kubernetes_1_37_with_ready_nodes(healthy_kube_lab: LabTarget) -> None:
    api = admin_client(healthy_kube_lab.plan)
    assert api.configuration.host == "https://198.18.0.10:6443"
    assert k8s.VersionApi(api).get_code().git_version == "v1.37.2"
    nodes = {n.metadata.name: n for n in k8s.CoreV1Api(api).list_node().items}
    assert sorted(nodes) == ["cp1", "cp2", "cp3", "wk1"]
    for name, node in nodes.items():
        ready = [c.status for c in node.status.conditions if c.type == "Ready"]
        assert ready == ["True"], (name, node.status.conditions)
        assert ("node-role.kubernetes.io/control-plane" in node.metadata.labels) == name.startswith("cp")
        assert [a.address for a in node.status.addresses if a.type == "InternalIP"] == [
            healthy_kube_lab.plan.node(name).address]
    installed = {c.metadata.name for c in k8s.ApiextensionsV1Api(api).list_custom_resource_definition().items}
    assert installed >= CRDS


def test_leader_leases_are_held_and_node_leases_renewed(healthy_kube_lab: LabTarget) -> None:
    coordination = k8s.CoordinationV1Api(admin_client(healthy_kube_lab.plan))
    for name in ("kube-controller-manager", "kube-scheduler"):
        lease = coordination.read_namespaced_lease(name, "kube-system")
        holder = lease.spec.holder_identity or ""  # <hostname>_<uuid>: each node has its own name
        assert holder.split("_")[0] in ("cp1", "cp2", "cp3"), f"{name} led by {holder!r}"
    identities = coordination.list_namespaced_lease(
        "kube-system", label_selector="apiserver.kubernetes.io/identity=kube-apiserver").items
    assert sorted(lease.metadata.labels["kubernetes.io/hostname"] for lease in identities) == [
        "cp1", "cp2", "cp3"], "one identity lease per apiserver"

    def renewed() -> dict[str, datetime]:
        return {lease.metadata.name: lease.spec.renew_time
                for lease in coordination.list_namespaced_lease("kube-node-lease").items}

    first = renewed()
    assert sorted(first) == ["cp1", "cp2", "cp3", "wk1"]
    # kwok renews every lease_duration/4 = 10 s: within 15 s every node's lease has moved.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        later = renewed()
        if all(later[n] > first[n] for n in first):
            return
        time.sleep(0.5)
    pytest.fail(f"node leases not renewed within 15 s: {first} -> {renewed()}")


def test_down_leaves_nothing_and_up_comes_back(kube_lab: LabTarget) -> None:
    target = LabTarget(kube_profile())
    target.prepare()
    plan = target.plan
    pids = [p for n in plan.nodes for p in target.lab.node_pids(n.name)]
    assert len(pids) >= 3 * 6 + 1  # etcd, apiserver, keepalived, kcm, scheduler, kwok per cp node
    # As a user does it: another process, so none of the daemons is its child. When it returns,
    # every one has exited, also the Go daemons whose threads take a moment to (issue 11).
    harness = str(Path(sys.executable).parent / "harness")
    done = subprocess.run([harness, "lab", "down", "--profile", str(PROFILE)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0 and "nothing left" in done.stdout, done.stdout + done.stderr
    assert still_running(pids) == [], "processes survived lab down"
    assert not target.lab.status().anything
    assert procs.zombie_children() == [], "daemons this session started were never waited for"
    assert not set(net.namespaces()) & {n.name for n in plan.nodes}
    assert plan.bridge not in net.root_links()
    assert not plan.state_dir.exists()
    assert not kc.admin_kubeconfig(plan).exists()
    began = time.monotonic()
    seconds = target.lab.up()
    print(f"Kubernetes lab up in {seconds:.1f} s ({time.monotonic() - began:.1f} s wall)")
    assert target.lab.status().running


def test_the_plain_lab_will_not_come_up_over_it_and_its_down_takes_it_down(kube_lab: LabTarget) -> None:
    """The shipped profiles share the switch and node names: a plain lab brought up over this one
    would start its etcds on this one's addresses, and the plain lab's `down` used to remove the
    switch and namespaces but leave this lab's state and its load-balancer controller running."""
    target = LabTarget(kube_profile())
    target.prepare()
    plan = target.plan
    controller = procs.read_pid(plan.pid_path("lab", kube_lb.SERVICE))
    assert controller is not None
    pids = [controller, *(p for n in plan.nodes for p in target.lab.node_pids(n.name))]
    with pytest.raises(HarnessError, match=f"another lab is up on this machine \\({plan.state_dir}\\)"):
        LabTarget(lab_profile()).lab.up()
    assert target.lab.status().running, "the refused up touched the lab that stands"
    harness = str(Path(sys.executable).parent / "harness")
    done = subprocess.run([harness, "lab", "down"], cwd=REPO, capture_output=True, text=True, timeout=120,
                          check=False)  # the default profile: the plain lab's
    assert done.returncode == 0 and f"the lab in {plan.state_dir}" in done.stdout, done.stdout + done.stderr
    assert still_running(pids) == [], "processes of the Kubernetes lab survived the plain lab's down"
    assert not plan.state_dir.exists()
    assert not set(net.namespaces()) & {n.name for n in plan.nodes}
    target.prepare()  # back up for the tests after this one
    assert target.lab.status().running
