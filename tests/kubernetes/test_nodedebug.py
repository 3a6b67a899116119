"""Node facts on Talos: one privileged node-debug pod per node through the fake API, and a
testinfra host whose commands go through the exec API into it (see `fakenodes.py`)."""

from __future__ import annotations

import kubernetes_validate
import pytest

from harness.targets.base import TargetError
from harness.targets.kubernetes import KubernetesTarget
from harness.targets.kubernetes.nodedebug import HOST_ROOT, node_debug_pod
from tests.kubernetes.fakecluster import NODES, FakeCluster
from tests.kubernetes.fakenodes import FakeNode, FakeNodes


def test_node_debug_pod_is_valid_and_mounts_the_host() -> None:
    body = node_debug_pod("kcp1", run_id="20250101T000000Z-abc123", image="docker.io/library/alpine:3.20")
    kubernetes_validate.validate(body, "1.32", strict=True)
    spec = body["spec"]
    assert spec["nodeName"] == "kcp1" and spec["hostNetwork"] and spec["hostPID"]
    assert spec["containers"][0]["securityContext"] == {"privileged": True}
    assert spec["containers"][0]["volumeMounts"] == [{"name": "host", "mountPath": HOST_ROOT}]
    assert spec["volumes"][0]["hostPath"]["path"] == "/"


@pytest.fixture
def fakenodes(cluster: FakeCluster) -> FakeNodes:
    return FakeNodes(cluster.api, {name: FakeNode(ip) for name, ip in NODES.items()}).install()


def test_one_pod_per_node_and_commands_through_the_exec_api(
    cluster: FakeCluster, k8s_target: KubernetesTarget, fakenodes: FakeNodes
) -> None:
    k8s_target.prepare()
    host = k8s_target.host("kcp2")
    assert k8s_target.host("kcp2") is host  # reused, not created twice
    ns = k8s_target.namespace
    assert [w for w in cluster.api.writes() if w.endswith("/pods")] == [f"POST /api/v1/namespaces/{ns}/pods"]
    pod = cluster.api.get("v1", "pods", "node-debug-kcp2", ns)
    assert pod is not None and pod["spec"]["containers"][0]["image"] == k8s_target.profile.images.debug
    assert host.check_output("uname -r") == "6.12.6-talos"
    assert host.file("/sys/class/net/end0/mtu").content_string == "1500\n"
    assert host.run("tc class show dev end0").rc == 127  # busybox has no tc: the suite reads /sys
    assert ("kcp2", "uname -r") in fakenodes.commands
    exec_path = f"/api/v1/namespaces/{ns}/pods/node-debug-kcp2/exec"
    assert any(c.path == exec_path for c in cluster.api.calls)
    assert repr(host) == "<testinfra.host.Host kube-exec://kcp2>"
    k8s_target.release()


def test_a_lost_exec_stream_is_an_error_not_empty_output(
    cluster: FakeCluster, k8s_target: KubernetesTarget, fakenodes: FakeNodes
) -> None:
    k8s_target.prepare()
    host = k8s_target.host("kcp1")
    cluster.api.inject("GET", "/exec", 503, times=5)
    with pytest.raises(TargetError, match="exec in pod"):
        host.check_output("date +%s")
    k8s_target.release()
