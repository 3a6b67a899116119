"""The kubernetes target against a real API server: what a fake accepts and a cluster refuses.

PodSecurity admission, RBAC through the Node and RBAC authorizers, namespace finalization by the
namespace controller, exec through a kubelet API (kwok) in the node's own network namespace.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from kubernetes import client as k8s

from harness.errors import HarnessError
from harness.results import new_run_id
from harness.targets.base import TargetError
from harness.targets.kubernetes import manifests
from harness.targets.kubernetes.settings import WaitSettings
from harness.targets.kubernetes.target import KubernetesTarget
from harness.targets.lab import LabTarget, kube_pki
from harness.targets.lab import kube_config as kc
from harness.targets.lab.kube_objects import admin_client
from tests.kubelab.conftest import kube_profile

pytestmark = pytest.mark.kubelab

HOLD = "cluster-harness.test/hold"


@pytest.fixture
def admin(healthy_kube_lab: LabTarget) -> k8s.CoreV1Api:
    return k8s.CoreV1Api(admin_client(healthy_kube_lab.plan))


@pytest.fixture
def target(healthy_kube_lab: LabTarget) -> Iterator[KubernetesTarget]:
    found = KubernetesTarget(kube_profile(), run_id=new_run_id())
    yield found
    found.release()


def test_podsecurity_refuses_the_debug_pod_in_an_unlabelled_namespace(
        target: KubernetesTarget, admin: k8s.CoreV1Api) -> None:
    # The namespace exists without the privileged label: the cluster default (baseline) holds.
    admin.create_namespace({"metadata": {"name": target.namespace}})
    target.prepare()  # a namespace of that name already there is taken as ours
    with pytest.raises(TargetError) as refused:
        target.host("cp1")
    sentence = str(refused.value)
    assert "\n" not in sentence
    assert sentence.startswith(f"node facts of cp1: PodSecurity in namespace {target.namespace} "
                               "refuses the privileged node-debug pod")
    assert 'violates PodSecurity "baseline:latest"' in sentence  # the API server's own words
    assert admin.list_namespaced_pod(target.namespace).items == []


def test_node_commands_run_in_the_nodes_own_namespace(target: KubernetesTarget) -> None:
    target.prepare()
    for node in ("cp2", "wk1"):
        host = target.host(node)
        address = target.profile.node(node).address
        assert f"inet {address}/24" in host.check_output("ip -o -4 addr show dev eth0")
        assert host.check_output("hostname") == node
        failed = host.run("exit 7")  # kwok reports exit codes its own way; we read them
        assert failed.rc == 7


def test_a_namespace_held_by_a_finalizer_is_reported_not_awaited(
        target: KubernetesTarget, admin: k8s.CoreV1Api, caplog: pytest.LogCaptureFixture) -> None:
    target.prepare()
    namespace = target.namespace
    admin.create_namespaced_config_map(namespace, {"metadata": {"name": "held", "finalizers": [HOLD]}})
    target.wait = WaitSettings(namespace_gone_timeout_s=8.0, poll_interval_s=0.5)
    try:
        with caplog.at_level(logging.WARNING, logger="harness.kubernetes"):
            target.release()
        stuck = [r.getMessage() for r in caplog.records if "is still" in r.getMessage()]
        assert len(stuck) == 1, caplog.text
        assert stuck[0].startswith(f"namespace {namespace} is still Terminating after 8 s:")
        assert HOLD in stuck[0]  # the namespace controller's own condition names the finalizer
    finally:
        admin.patch_namespaced_config_map("held", namespace, {"metadata": {"finalizers": None}})


def limited_kubeconfig(lab: LabTarget, tmp_path: Path, user: str) -> Path:
    pki = kc.pki_dir(lab.plan)
    ca = kube_pki.CertificateAuthority.load(pki / "ca.crt", pki / "ca.key")
    path = tmp_path / f"{user}.kubeconfig"
    path.write_text(kube_pki.kubeconfig(server=kc.vip_url(lab.plan), ca_pem=ca.cert_pem, user=user,
                                        client=ca.issue(user)))
    return path


def test_an_rbac_limited_kubeconfig_gets_a_sentence_per_missing_permission(
        healthy_kube_lab: LabTarget, tmp_path: Path) -> None:
    user = f"limited-{new_run_id()[-6:]}"
    rbac = k8s.RbacAuthorizationV1Api(admin_client(healthy_kube_lab.plan))
    name = f"cluster-harness-test-{user}"
    rbac.create_cluster_role({"metadata": {"name": name}, "rules": [
        {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["create"]},
        {"apiGroups": [""], "resources": ["nodes"], "verbs": ["list"]},
        {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}]})
    rbac.create_cluster_role_binding({"metadata": {"name": name}, "roleRef": {
        "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}]})
    try:
        profile = kube_profile()
        settings = profile.kubernetes.model_copy(
            update={"kubeconfig": limited_kubeconfig(healthy_kube_lab, tmp_path, user)})
        target = KubernetesTarget(profile.model_copy(update={"kubernetes": settings}))
        with pytest.raises(HarnessError) as refused:
            target.prepare()
        lines = str(refused.value).splitlines()
        assert lines[0].endswith("refuses 3 permission(s) the run needs:")
        assert lines[1:4] == [
            f"  - {user} may not delete namespaces cluster-wide (needed for removing the run's "
            "namespace at the end)",
            f"  - {user} may not create configmaps in namespace {target.namespace} (needed for the "
            "API roundtrip (write + read through the VIP))",
            f"  - {user} may not delete configmaps in namespace {target.namespace} (needed for the "
            "API roundtrip (write + read through the VIP))"]
        assert not k8s.CoreV1Api(admin_client(healthy_kube_lab.plan)).list_namespace(
            field_selector=f"metadata.name={target.namespace}").items, "created before asking"
    finally:
        rbac.delete_cluster_role_binding(name)
        rbac.delete_cluster_role(name)


def test_the_run_namespace_is_labelled_and_gone_after_release(
        target: KubernetesTarget, admin: k8s.CoreV1Api) -> None:
    target.prepare()
    labels = admin.read_namespace(target.namespace).metadata.labels
    assert labels["pod-security.kubernetes.io/enforce"] == "privileged"
    assert labels[manifests.MANAGED_BY_LABEL] == manifests.MANAGED_BY
    target.release()
    assert not admin.list_namespace(field_selector=f"metadata.name={target.namespace}").items



def test_the_preflight_is_admitted_and_completes_on_every_node(
        healthy_kube_lab: LabTarget, admin: k8s.CoreV1Api) -> None:
    # Each pair's pod is admitted (PodSecurity, RBAC), bound to its node, run by that node's
    # kwok and completed by the lab's stage, and goes with the answer. A node whose pods never
    # complete is named instead (tests/kubelab/test_kube_suites.py, kubelet-down).
    target = KubernetesTarget(kube_profile(), run_id=new_run_id())
    target.wait = WaitSettings(pod_timeout_s=20.0, poll_interval_s=0.2)
    target.prepare()
    try:
        began = time.monotonic()
        target.preflight({"nodes", "partition"})  # 2 images x 4 nodes
        seconds = time.monotonic() - began
        print(f"preflight: 8 pods admitted, completed and deleted in {seconds:.1f} s")
        assert seconds < 20.0, f"the preflight took {seconds:.1f} s"
        pods = admin.list_namespaced_pod(target.namespace).items
        assert all(p.metadata.deletion_timestamp for p in pods), "preflight pods left behind"
    finally:
        target.release()
