"""Node facts on Talos: one privileged node-debug pod per node through the fake API, and a
testinfra host on testinfra's kubectl backend pointing into it (exec needs a real cluster)."""

from __future__ import annotations

from pathlib import Path

import kubernetes_validate

from harness.targets.kubernetes import KubernetesTarget
from harness.targets.kubernetes.nodedebug import HOST_ROOT, NodeDebugPods, node_debug_pod
from tests.kubernetes.fakecluster import FakeCluster


def test_node_debug_pod_is_valid_and_mounts_the_host() -> None:
    body = node_debug_pod("kcp1", run_id="20250101T000000Z-abc123")
    kubernetes_validate.validate(body, "1.32", strict=True)
    spec = body["spec"]
    assert spec["nodeName"] == "kcp1" and spec["hostNetwork"] and spec["hostPID"]
    assert spec["containers"][0]["securityContext"] == {"privileged": True}
    assert spec["containers"][0]["volumeMounts"] == [{"name": "host", "mountPath": HOST_ROOT}]
    assert spec["volumes"][0]["hostPath"]["path"] == "/"


def test_one_pod_per_node_and_a_kubectl_host(cluster: FakeCluster, k8s_target: KubernetesTarget) -> None:
    k8s_target.prepare()
    waited: list[str] = []
    pods = NodeDebugPods(
        api=lambda: k8s_target.api, namespace=lambda: k8s_target.namespace,
        run_id=lambda: k8s_target.run_id, wait_ready=lambda ns, pod: waited.append(pod),
        kubeconfig=Path(cluster.kubeconfig), context=None)
    host = pods.host("kcp2")
    pods.host("kcp2")  # reused, not created twice
    creates = [w for w in cluster.api.writes() if w.startswith("POST") and w.endswith("/pods")]
    assert creates == [f"POST /api/v1/namespaces/{k8s_target.namespace}/pods"]
    assert waited == ["node-debug-kcp2"]
    backend = host.backend
    assert backend.NAME == "kubectl"
    assert backend.name == "node-debug-kcp2"
    assert backend.namespace == k8s_target.namespace and backend.container == "main"
    k8s_target.release()
