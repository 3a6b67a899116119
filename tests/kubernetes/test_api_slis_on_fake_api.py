"""The API SLI drivers' calls against the fake API (the figures themselves are proven on the
Kubernetes lab, tests/kubelab/test_kube_api_slis.py): each load client has a connection pool of
its own, nothing is left behind, and a pod that never turns Ready is one sentence."""

from __future__ import annotations

import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any, cast
from urllib.parse import parse_qs

import pytest

from harness.targets.base import TargetError
from harness.targets.kubernetes import KubernetesTarget
from harness.targets.kubernetes.api import KubeAPI
from harness.targets.kubernetes.apislis import ApiSlis
from harness.workloads.apiload import run_load
from tests.kubernetes.fakecluster import FakeCluster

NS = "harness-20250101t000000z-abc123"


def test_load_clients_cycle_their_own_configmaps_and_leave_none(
    k8s_target: KubernetesTarget, cluster: FakeCluster
) -> None:
    k8s_target.prepare()
    clients = k8s_target.api_slis().clients(3)
    assert len({id(c.api.api_client) for c in clients}) == 3  # one pool each, as N workers
    result = run_load(clients, prefix="load", duration_s=10.0, max_cycles=2)
    assert result.errors == 0 and [v.calls for v in result.verbs] == [6, 6, 6, 6]
    writes = [w for w in cluster.api.writes() if "configmaps" in w]
    assert len([w for w in writes if w.startswith("POST")]) == 6
    assert len([w for w in writes if w.startswith("DELETE")]) == 6
    assert cluster.api.names("v1", "configmaps", NS) == []
    lists = [str(c) for c in cluster.api.calls if c.method == "GET" and c.path.endswith("/configmaps")]
    assert len(lists) == 6 and all("harness%2Frole%3Dapi-load" in c for c in lists)


def test_pod_startup_is_timed_after_a_warm_up_pod_and_each_pod_goes(
    k8s_target: KubernetesTarget, cluster: FakeCluster
) -> None:
    k8s_target.prepare()
    latencies = k8s_target.api_slis().pod_startup_s("kcp2", 2, timeout_s=5.0)
    assert len(latencies) == 2 and all(0 < s < 5.0 for s in latencies)
    pods = [w for w in cluster.api.writes() if "/pods" in w]
    assert [w.split()[0] for w in pods] == ["POST", "DELETE"] * 3
    assert cluster.api.names("v1", "pods", NS) == []


def test_a_pod_turning_ready_after_its_create_is_seen_on_a_watch_from_the_create(
    k8s_target: KubernetesTarget, cluster: FakeCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tests.kubernetes.fakeapi as fakeapi

    k8s_target.prepare()
    monkeypatch.setattr(fakeapi, "RUNNING_ROLES", frozenset())  # the create answers a pod not Ready

    def kubelet_reports_ready(event: str, resource: str, namespace: str, pod: dict[str, Any]) -> None:
        if event == "create" and resource == "pods":  # a new object: the create's answer stays as it was
            later = {**pod["metadata"], "resourceVersion": str(int(pod["metadata"]["resourceVersion"]) + 1)}
            cluster.api.put("v1", "pods", {**pod, "metadata": later, "status": fakeapi.running_pod(pod)},
                            namespace)

    cluster.api.hooks.append(kubelet_reports_ready)
    latencies = k8s_target.api_slis().pod_startup_s("kcp3", 1, timeout_s=5.0)
    assert len(latencies) == 1 and 0 < latencies[0] < 5.0
    watches = [c for c in cluster.api.calls if c.method == "GET" and "watch=" in c.query]
    assert [c.path for c in watches] == [f"/api/v1/namespaces/{NS}/pods"] * 2  # warm-up and timed pod
    for call, created in zip(watches, ("startup-kcp3-0", "startup-kcp3-1"), strict=True):
        query = parse_qs(call.query)
        assert query["fieldSelector"] == [f"metadata.name={created}"]
        assert query["resourceVersion"][0].isdigit()  # from the create's answer: no change missed
    assert not [c for c in cluster.api.calls if c.method == "GET" and c.path.endswith("/pods/startup-kcp3-1")]


def test_a_pod_that_never_turns_ready_is_one_sentence(
    k8s_target: KubernetesTarget, cluster: FakeCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tests.kubernetes.fakeapi as fakeapi

    k8s_target.prepare()
    monkeypatch.setattr(fakeapi, "RUNNING_ROLES", frozenset())  # it completes: never Ready
    with pytest.raises(TargetError, match=r"pod startup-kcp1-0 on kcp1 not Ready within 0.3 s"):
        k8s_target.api_slis().pod_startup_s("kcp1", 1, timeout_s=0.3)
    assert cluster.api.names("v1", "pods", NS) == []


class _SlowToCloseWatch:
    """An API whose pods answer Pending, turn Ready on the watch's first event, and whose watch
    takes `close_s` to close: closing is the harness's work, not the pod's startup."""

    def __init__(self, close_s: float) -> None:
        self.close_s = close_s

    def create_pod_answer(self, namespace: str, body: dict[str, Any]) -> Any:
        return SimpleNamespace(metadata=SimpleNamespace(resource_version="7"),
                               status=SimpleNamespace(phase="Pending", conditions=None))

    def watch_pod(self, namespace: str, name: str, *, since: str,
                  timeout_s: float) -> Iterator[dict[str, Any]]:
        try:
            yield {"metadata": {"resourceVersion": "8"},
                   "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}}
        finally:
            time.sleep(self.close_s)

    def delete_pod(self, namespace: str, name: str) -> None:
        pass


def test_the_clock_is_read_at_the_ready_event_not_after_the_watch_is_closed() -> None:
    slow = _SlowToCloseWatch(close_s=0.3)
    slis = ApiSlis(new_client=lambda: cast(KubeAPI, slow), api=cast(KubeAPI, slow), namespace=NS,
                   run_id="run", image="debug")
    began = time.monotonic()
    latencies = slis.pod_startup_s("kcp1", 2, timeout_s=5.0)
    assert time.monotonic() - began >= 0.9  # each of the 3 watches did take its time to close
    assert len(latencies) == 2 and all(s < 0.1 for s in latencies)
