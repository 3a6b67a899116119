"""The kubernetes Network capability against the fake API (see `fakenet.py` for what the fake
decides): the exact objects created and removed, LB-IPAM and the lease, policies in the run's
namespaces, connect probes by exec, iperf3 as pinned pods and Jobs. A run's own test pool and L2
policy, with a real API server and lease, are tested on the Kubernetes lab
(tests/kubelab/test_kube_lb.py); the fake stays for traffic that reaches pods."""

from __future__ import annotations

import http.client
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.profile import load_profile
from harness.targets.base import TargetError
from harness.targets.kubernetes import KubernetesTarget, netthroughput
from harness.targets.kubernetes import network as knet
from harness.targets.kubernetes.settings import WaitSettings
from harness.targets.network import PodSpec
from tests.kubernetes.conftest import FAST
from tests.kubernetes.fakecluster import FakeCluster
from tests.kubernetes.fakenet import FakeNetwork

RUN = "20250101T000000Z-abc123"
NS = "harness-20250101t000000z-abc123"
CLUSTER_POOL = ["127.0.0.100", "127.0.0.101"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fake_profile(cluster: FakeCluster, *, pool: tuple[str, str] | None = None,
                 images: dict[str, str] | None = None, **kubernetes: object) -> Path:
    """The fake cluster's profile (its pool is the cluster's: 127.0.0.100-127), with a free port."""
    profile = yaml.safe_load(cluster.profile_path.read_text())
    profile["kubernetes"].update(lb_service_port=free_port(), **kubernetes)
    if images is not None:
        profile["images"] = {**profile.get("images", {}), **images}
    if pool is not None:
        profile["loadbalancer_pool"] = {"range": {"first": pool[0], "last": pool[1]}}
    path = cluster.root / "network.yaml"
    path.write_text(yaml.safe_dump(profile))
    return path


@pytest.fixture
def fakenet(cluster: FakeCluster, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeNetwork]:
    monkeypatch.setattr(knet.KubernetesNetwork, "policy_propagation_s", 0.0)  # the fake enforces at once
    found = FakeNetwork(cluster.api, cluster_pool=CLUSTER_POOL).install()
    yield found
    found.close()


def make_target(profile: Path) -> KubernetesTarget:
    target = KubernetesTarget(load_profile(profile), run_id=RUN)
    target.with_settings(FAST)
    target.wait = WaitSettings(poll_interval_s=0.02, pod_timeout_s=5.0, job_timeout_s=5.0)
    target.prepare()
    return target


@pytest.fixture
def target(cluster: FakeCluster, fakenet: FakeNetwork) -> Iterator[KubernetesTarget]:
    found = make_target(fake_profile(cluster))
    yield found
    found.release()


def test_pods_get_labelled_namespaces_pinned_pods_and_are_removed(
        target: KubernetesTarget, cluster: FakeCluster) -> None:
    specs = [PodSpec("a", "x", "kcp1", {"pod": "a"}), PodSpec("b", "x", "kwk1", {"pod": "b"})]
    with target.network.pods(specs, namespace_labels={"x": {"ns": "x"}}) as pods:
        namespace = cluster.api.get("v1", "namespaces", f"{NS}-x")
        assert namespace is not None and namespace["metadata"]["labels"]["ns"] == "x"
        assert namespace["metadata"]["labels"]["harness/run-id"] == RUN
        stored = cluster.api.get("v1", "pods", "b", f"{NS}-x")
        assert stored is not None and stored["spec"]["nodeName"] == "kwk1"
        commands = [c["command"][:2] for c in stored["spec"]["containers"]]
        assert commands == [["/agnhost", "netexec"]] * 3  # one per port
        assert [(p.ref, p.node) for p in pods] == [("x/a", "kcp1"), ("x/b", "kwk1")]
        assert all(p.address.startswith("10.244.") for p in pods)
    assert cluster.api.writes()[1:] == [
        "POST /api/v1/namespaces",
        f"POST /api/v1/namespaces/{NS}-x/pods",
        f"POST /api/v1/namespaces/{NS}-x/pods",
        f"DELETE /api/v1/namespaces/{NS}-x",
    ]


def test_policies_go_to_the_run_namespaces_and_are_removed(target: KubernetesTarget,
                                                          cluster: FakeCluster) -> None:
    documents = [
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
         "metadata": {"name": "deny", "namespace": "x"}, "spec": {"podSelector": {}}},
        {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
         "metadata": {"name": "cnp", "namespace": "x"}, "spec": {"endpointSelector": {}}},
        {"apiVersion": "cilium.io/v2", "kind": "CiliumClusterwideNetworkPolicy",
         "metadata": {"name": "ccnp"}, "spec": {"endpointSelector": {"matchLabels": {
             "k8s:io.kubernetes.pod.namespace": "x"}}}},
    ]
    with target.network.pods([PodSpec("a", "x", "kcp1", {"pod": "a"})]):
        target.network.apply_policies(documents)
        ccnp = cluster.api.get("cilium.io/v2", "ciliumclusterwidenetworkpolicies", f"{NS}-ccnp")
        assert ccnp is not None
        assert ccnp["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "cluster-harness"
        assert ccnp["spec"]["endpointSelector"]["matchLabels"] == {
            "k8s:io.kubernetes.pod.namespace": f"{NS}-x"}
        target.network.apply_policies([])
    writes = cluster.api.writes()
    assert writes[3:9] == [
        f"POST /apis/networking.k8s.io/v1/namespaces/{NS}-x/networkpolicies",
        f"POST /apis/cilium.io/v2/namespaces/{NS}-x/ciliumnetworkpolicies",
        "POST /apis/cilium.io/v2/ciliumclusterwidenetworkpolicies",
        f"DELETE /apis/networking.k8s.io/v1/namespaces/{NS}-x/networkpolicies/deny",
        f"DELETE /apis/cilium.io/v2/namespaces/{NS}-x/ciliumnetworkpolicies/cnp",
        f"DELETE /apis/cilium.io/v2/ciliumclusterwidenetworkpolicies/{NS}-ccnp",
    ]


def test_policies_for_a_namespace_without_pods_are_refused(target: KubernetesTarget) -> None:
    with pytest.raises(TargetError, match="no live pods"):
        target.network.apply_policies(
            [{"kind": "NetworkPolicy", "metadata": {"name": "n", "namespace": "q"}}])


def test_connect_probes_run_by_exec_in_the_source_pod(target: KubernetesTarget,
                                                     fakenet: FakeNetwork) -> None:
    fakenet.allow = lambda source, address, port, protocol: port == 80  # the rule table
    specs = [PodSpec("a", "x", "kcp1", {"pod": "a"}), PodSpec("b", "y", "kwk1", {"pod": "b"})]
    with target.network.pods(specs) as (a, b):
        results = target.network.connect(a, [(b.address, 80, "TCP"), (b.address, 81, "TCP"),
                                             (b.address, 80, "UDP")])
    assert [(r.port, r.protocol, r.outcome, r.allowed) for r in results] == [
        (80, "TCP", "open", True), (81, "TCP", "timeout", False), (80, "UDP", "open", True)]
    assert fakenet.probes == [(f"{NS}-x/a", b.address, 80, "TCP"), (f"{NS}-x/a", b.address, 81, "TCP"),
                              (f"{NS}-x/a", b.address, 80, "UDP")]


def test_loadbalancer_ip_from_the_cluster_pool_announcer_from_the_lease(
        target: KubernetesTarget, cluster: FakeCluster) -> None:
    with target.network.loadbalancer(backends=2) as lb:
        assert lb.ip == "127.0.0.100" and [b.node for b in lb.backends] == ["kcp1", "kcp2"]
        assert target.network.announcers(lb) == ["kwk1"] and target.network.announcer(lb) == "kwk1"
        connection = http.client.HTTPConnection(lb.ip, lb.port, timeout=2)
        connection.request("GET", "/")
        assert connection.getresponse().read().decode() in {"web-0", "web-1"}
        connection.close()
        service = cluster.api.get("v1", "services", "web", f"{NS}-lb-web")
        assert service is not None and service["spec"]["type"] == "LoadBalancer"
    assert not any("cilium.io/v2alpha1" in w for w in cluster.api.writes())  # the cluster's own pool
    assert cluster.api.names("v1", "namespaces") == [NS]


def test_the_announcer_lease_is_read_where_cilium_runs(cluster: FakeCluster, fakenet: FakeNetwork,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    fakenet.lease_namespace = "cilium"  # Cilium installed in a namespace of its own
    target = make_target(fake_profile(cluster, cilium_namespace="cilium"))
    try:
        with target.network.loadbalancer(backends=1) as lb:
            assert target.network.announcers(lb) == ["kwk1"]
    finally:
        target.release()
    monkeypatch.setattr(knet, "LB_READY_S", 0.3)
    elsewhere = make_target(fake_profile(cluster))  # kube-system: the lease is not there
    try:
        with (pytest.raises(TargetError, match="nobody announced"),
              elsewhere.network.loadbalancer(backends=1)):
            pass
    finally:
        elsewhere.release()


def test_nobody_announcing_fails_within_the_bound(target: KubernetesTarget, fakenet: FakeNetwork,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    fakenet.announcer = ""
    monkeypatch.setattr(knet, "LB_READY_S", 0.3)
    with (pytest.raises(TargetError, match=r"nobody announced 127.0.0.100 within 0.3 s"),
          target.network.loadbalancer(backends=1)):
        pass


def test_iperf3_node_to_node_runs_a_host_network_server_and_a_client_job(
        target: KubernetesTarget, cluster: FakeCluster) -> None:
    created: list[tuple[str, dict[str, Any]]] = []
    cluster.api.hooks.append(lambda event, kind, ns, obj: created.append((kind, obj))
                             if event == "create" else None)
    result = target.network.iperf3(client="kcp1", server="kwk1", seconds=3)
    assert (result.sender, result.receiver) == ("kcp1", "kwk1")
    assert result.goodput_mbit == pytest.approx(939.3, abs=0.1)
    server = next(o for kind, o in created if o["metadata"]["name"].startswith("iperf3-server"))
    job = next(o for kind, o in created if kind == "jobs")
    assert job["spec"]["template"]["spec"]["nodeName"] == "kcp1"
    assert job["spec"]["template"]["spec"]["containers"][0]["command"][:3] == [
        "iperf3", "--client", "127.0.0.14"]
    assert server["spec"]["hostNetwork"] and server["spec"]["nodeName"] == "kwk1"
    assert server["spec"]["containers"][0]["command"][-2:] == ["--bind", "127.0.0.14"]
    assert cluster.api.names("batch/v1", "jobs", NS) == []  # deleted after the run
    assert cluster.api.writes()[1:] == [
        f"POST /api/v1/namespaces/{NS}/pods",
        f"POST /apis/batch/v1/namespaces/{NS}/jobs",
        f"DELETE /apis/batch/v1/namespaces/{NS}/jobs/{job['metadata']['name']}",
        f"DELETE /api/v1/namespaces/{NS}/pods/{server['metadata']['name']}",
    ]


def test_iperf3_failure_is_a_target_error(target: KubernetesTarget, fakenet: FakeNetwork) -> None:
    fakenet.api.log_for = lambda pod: "iperf3: error - unable to connect to server\n"
    with pytest.raises(TargetError, match="unable to connect"):
        target.network.iperf3(client="kcp1", server="kwk1", seconds=3)


def test_iperf3_to_a_service_reaches_its_cluster_ip_once_the_server_is_a_ready_endpoint(
        target: KubernetesTarget, cluster: FakeCluster, fakenet: FakeNetwork) -> None:
    created: list[tuple[str, dict[str, Any]]] = []
    cluster.api.hooks.append(lambda event, kind, ns, obj: created.append((kind, obj))
                             if event == "create" else None)
    specs = [PodSpec(name=f"netperf-{n}", namespace="netperf", node=n) for n in ("kcp1", "kwk1")]
    with target.network.pods(specs) as (near, far):
        namespace = target.network.real_namespace("netperf")
        with target.network.service_of(far) as service:
            made = cluster.api.get("v1", "services", service.name, namespace)
            assert made is not None and made["spec"]["type"] == "ClusterIP"
            assert made["spec"]["selector"] == {"harness/serves": service.name}
            ports = {(p["port"], p["protocol"]) for p in made["spec"]["ports"]}
            assert ports == {(5201, "TCP"), (5201, "UDP"), (11111, "TCP")}  # iperf3's, sockperf's
            result = target.network.iperf3(client=near, server=service, seconds=2)
        assert cluster.api.names("v1", "services", namespace) == []  # deleted with its context
    assert result.goodput_mbit == pytest.approx(939.3, abs=0.1)
    server = next(o for kind, o in created if o["metadata"]["name"].startswith("iperf3-server"))
    assert server["metadata"]["labels"]["harness/serves"] == service.name
    assert server["spec"]["nodeName"] == "kwk1" and not server["spec"].get("hostNetwork")
    job = next(o for kind, o in created if kind == "jobs")
    assert job["spec"]["template"]["spec"]["containers"][0]["command"][:3] == [
        "iperf3", "--client", service.address]


def test_a_server_that_never_becomes_an_endpoint_is_a_target_error(
        target: KubernetesTarget, cluster: FakeCluster, fakenet: FakeNetwork,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fakenet, "_endpoints_for", lambda namespace, pod: None)  # no controller
    monkeypatch.setattr(netthroughput, "ENDPOINT_READY_S", 0.2)
    specs = [PodSpec(name=f"netperf-{n}", namespace="netperf", node=n) for n in ("kcp1", "kwk1")]
    never = r"10\.244\.\S+ as a ready endpoint not done within 0.2 s \(last: ready endpoints none\)"
    with (target.network.pods(specs) as (near, far), target.network.service_of(far) as service,
          pytest.raises(TargetError, match=never)):
        target.network.iperf3(client=near, server=service, seconds=2)
