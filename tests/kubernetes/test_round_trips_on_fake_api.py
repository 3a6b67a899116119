"""Round trips (sockperf ping-pong) on the kubernetes target against the fake API: refused with a
sentence while the profile names no sockperf image; with one, a server pod and a client Job
placed as iperf3's are, with the lab's argv, the client's summary read (`fakenet.py` answers with
a real lab run's), and both deleted on every path; a host-network server is waited for until
it is gone (it holds its node's port)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from harness.targets.base import TargetError
from harness.targets.kubernetes import KubernetesTarget, netthroughput
from harness.targets.network import NotMeasurable, PodSpec
from harness.workloads import sockperf
from tests.kubernetes.fakecluster import NODES, FakeCluster
from tests.kubernetes.fakenet import SOCKPERF_REPORT, FakeNetwork
from tests.kubernetes.test_network_on_fake_api import CLUSTER_POOL, NS, fake_profile, make_target

IMAGE = "registry.example/sockperf:3.7-1"
Created = list[tuple[str, dict[str, Any]]]


@pytest.fixture
def fakenet(cluster: FakeCluster) -> Iterator[FakeNetwork]:
    found = FakeNetwork(cluster.api, cluster_pool=CLUSTER_POOL).install()
    yield found
    found.close()


@pytest.fixture
def target(cluster: FakeCluster, fakenet: FakeNetwork) -> Iterator[KubernetesTarget]:
    found = make_target(fake_profile(cluster, images={"sockperf": IMAGE}))
    yield found
    found.release()


@pytest.fixture
def created(cluster: FakeCluster) -> Created:
    found: Created = []
    cluster.api.hooks.append(lambda event, kind, ns, obj: found.append((kind, obj))
                             if event == "create" else None)
    return found


def one(created: Created, kind: str, prefix: str) -> dict[str, Any]:
    [found] = [o for k, o in created if k == kind and o["metadata"]["name"].startswith(prefix)]
    return found


def container(body: dict[str, Any]) -> dict[str, Any]:
    spec = body["spec"]["template"]["spec"] if body["kind"] == "Job" else body["spec"]
    return dict(spec["containers"][0])


def leftovers(cluster: FakeCluster, namespace: str) -> list[str]:
    """sockperf's server pods and client Jobs still there (a Job's own pod goes with its Job on
    a cluster; the fake leaves it)."""
    return [name for name in [*cluster.api.names("v1", "pods", namespace),
                              *cluster.api.names("batch/v1", "jobs", namespace)]
            if name.startswith(("sockperf-server", "sockperf-client")) and not name.endswith("-x1")]


def test_without_an_image_round_trips_are_not_measurable_and_nothing_is_made(
        cluster: FakeCluster, fakenet: FakeNetwork) -> None:
    target = make_target(fake_profile(cluster))
    try:
        before = len(cluster.api.writes())
        with pytest.raises(NotMeasurable) as refused:
            target.network.round_trips(client="kcp1", server="kwk1", seconds=2)
        assert str(refused.value) == netthroughput.NO_SOCKPERF_IMAGE
        assert "`images.sockperf`" in str(refused.value) and "tools/images/sockperf" in str(refused.value)
        assert len(cluster.api.writes()) == before
    finally:
        target.release()


def test_node_to_node_runs_the_labs_argv_in_host_network_pods_and_reads_the_summary(
        target: KubernetesTarget, cluster: FakeCluster, created: Created) -> None:
    trips = target.network.round_trips(client="kcp1", server="kwk1", seconds=2)
    assert trips == sockperf.parse(SOCKPERF_REPORT.read_text(), client="kcp1", server="kwk1")
    server, job = one(created, "pods", "sockperf-server"), one(created, "jobs", "sockperf-client")
    far = NODES["kwk1"]
    assert server["spec"]["nodeName"] == "kwk1" and server["spec"]["hostNetwork"] is True
    assert container(server)["image"] == IMAGE
    assert container(server)["command"] == sockperf.server_argv(bind=far, port=sockperf.DEFAULT_PORT)
    assert container(server)["readinessProbe"]["tcpSocket"]["port"] == sockperf.DEFAULT_PORT
    client = job["spec"]["template"]["spec"]
    assert client["nodeName"] == "kcp1" and client["hostNetwork"] is True
    assert container(job)["image"] == IMAGE
    assert container(job)["command"] == sockperf.ping_pong_argv(server=far, port=sockperf.DEFAULT_PORT,
                                                                seconds=2)
    assert cluster.api.writes()[1:] == [
        f"POST /api/v1/namespaces/{NS}/pods",
        f"POST /apis/batch/v1/namespaces/{NS}/jobs",
        f"DELETE /apis/batch/v1/namespaces/{NS}/jobs/{job['metadata']['name']}",
        f"DELETE /api/v1/namespaces/{NS}/pods/{server['metadata']['name']}",
    ]


def test_pod_to_service_runs_in_the_pod_network_and_connects_to_the_cluster_ip(
        target: KubernetesTarget, cluster: FakeCluster, created: Created) -> None:
    specs = [PodSpec(name=f"netperf-{n}", namespace="netperf", node=n) for n in ("kcp1", "kwk1")]
    with target.network.pods(specs) as (near, far):
        namespace = target.network.real_namespace("netperf")
        with target.network.service_of(far) as service:
            trips = target.network.round_trips(client=near, server=service, seconds=3)
            assert leftovers(cluster, namespace) == []
    assert trips == sockperf.parse(SOCKPERF_REPORT.read_text(), client=near.ref, server=far.ref)
    server, job = one(created, "pods", "sockperf-server"), one(created, "jobs", "sockperf-client")
    assert server["metadata"]["namespace"] == job["metadata"]["namespace"] == namespace
    assert server["metadata"]["labels"]["harness/serves"] == service.name
    assert server["spec"]["nodeName"] == "kwk1" and not server["spec"].get("hostNetwork")
    # sockperf told no address listens on a multicast group: in a pod it listens on every one.
    assert container(server)["command"] == sockperf.server_argv(bind="0.0.0.0", port=sockperf.DEFAULT_PORT)
    assert job["spec"]["template"]["spec"]["nodeName"] == "kcp1"
    assert not job["spec"]["template"]["spec"].get("hostNetwork")
    assert container(job)["command"] == sockperf.ping_pong_argv(
        server=service.address, port=sockperf.DEFAULT_PORT, seconds=3)


def test_a_log_without_a_summary_is_one_target_error_and_both_are_deleted(
        target: KubernetesTarget, cluster: FakeCluster, fakenet: FakeNetwork) -> None:
    # The lab run's log cut before its statistics: what a client killed mid-run leaves.
    started = SOCKPERF_REPORT.read_text().split("sockperf: Test ended")[0]
    fakenet.api.log_for = lambda pod: started

    def fail_jobs(event: str, kind: str, namespace: str, obj: dict[str, Any]) -> None:
        if event == "create" and kind == "jobs":
            obj["status"] = {"failed": 1, "conditions": [
                {"type": "Failed", "status": "True", "reason": "DeadlineExceeded"}]}

    cluster.api.hooks.append(fail_jobs)
    with pytest.raises(TargetError) as failed:
        target.network.round_trips(client="kcp1", server="kwk1", seconds=2)
    message = str(failed.value)
    assert message.startswith("sockperf kcp1 -> kwk1 printed no latency summary: ")
    assert message.endswith("(its Job failed: DeadlineExceeded)") and "\n" not in message
    assert leftovers(cluster, NS) == []


def test_a_server_that_never_becomes_an_endpoint_is_deleted_and_no_client_runs(
        target: KubernetesTarget, cluster: FakeCluster, fakenet: FakeNetwork, created: Created,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fakenet, "_endpoints_for", lambda namespace, pod: None)  # no controller
    monkeypatch.setattr(netthroughput, "ENDPOINT_READY_S", 0.2)
    specs = [PodSpec(name=f"netperf-{n}", namespace="netperf", node=n) for n in ("kcp1", "kwk1")]
    with target.network.pods(specs) as (near, far), target.network.service_of(far) as service:
        with pytest.raises(TargetError, match=r"as a ready endpoint not done within 0\.2 s"):
            target.network.round_trips(client=near, server=service, seconds=2)
        assert leftovers(cluster, target.network.real_namespace("netperf")) == []
    assert [k for k, o in created if o["metadata"]["name"].startswith("sockperf-")] == ["pods"]


def test_a_host_network_server_is_waited_for_until_its_kubelet_stopped_it(
        target: KubernetesTarget, cluster: FakeCluster, monkeypatch: pytest.MonkeyPatch) -> None:
    """The next server on that node binds the same port: a run ends once the pod is gone."""
    def kubelet_never_confirms(event: str, kind: str, namespace: str, obj: dict[str, Any]) -> None:
        if event == "delete" and kind == "pods" and obj["metadata"]["name"].startswith("sockperf-server"):
            cluster.api.put("v1", "pods", obj, namespace)

    cluster.api.hooks.append(kubelet_never_confirms)
    monkeypatch.setattr(target, "wait", replace(target.wait, pod_timeout_s=0.3))
    with pytest.raises(TargetError, match=r"sockperf-server-kwk1-\d+ gone \(it holds its node's port\) "
                                          r"not done within 0\.3 s"):
        target.network.round_trips(client="kcp1", server="kwk1", seconds=2)
    [delete] = [c for c in cluster.api.calls if c.method == "DELETE" and "/pods/sockperf-server" in c.path]
    assert "gracePeriodSeconds=1" in delete.query
