"""Every object the network capability sends to a cluster is schema-valid: core kinds with
kubernetes-validate (strict, 1.32), Cilium kinds against both upstream CRD releases; the policy
cases of `suites/network` as the target rewrites them; broken ones are caught."""

from __future__ import annotations

import copy
import ipaddress
from collections.abc import Iterator
from ipaddress import IPv4Address
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from harness.profile import load_profile
from harness.targets.kubernetes import manifests
from harness.targets.kubernetes import netmanifests as nm
from harness.targets.kubernetes.network import KubernetesNetwork
from harness.targets.kubernetes.settings import WaitSettings
from harness.targets.kubernetes.workloads import Workloads
from harness.workloads import iperf3, sockperf
from suites.network.policy_cases import CASES
from tests.kubernetes.crd_schema import RELEASES, validate_custom

RUN = "20250101T000000Z-abc123"
IMAGE = "registry.k8s.io/e2e-test-images/agnhost:2.52"


def core_objects() -> dict[str, dict[str, Any]]:
    return {
        "namespace": nm.namespace("harness-run-x", run_id=RUN, labels={"ns": "x"}),
        "server-pod": nm.server_pod("a", run_id=RUN, image=IMAGE, node="kcp1", labels={"pod": "a"}),
        "lb-service": nm.lb_service("web", run_id=RUN, selector={"app": "web"}, port=80),
        "iperf3-server-host": nm.iperf3_server("iperf3-server-kcp1-1", run_id=RUN, image="iperf3",
                                               node="kcp1", host_network=True, bind="10.0.0.11"),
        "iperf3-server-pod": nm.iperf3_server("iperf3-server-kcp1-2", run_id=RUN, image="iperf3",
                                              node="kcp1", host_network=False, bind=None),
        "iperf3-client": nm.tool_client(
            "iperf3-client-kwk1-1", tool="iperf3", run_id=RUN, image="iperf3", node="kwk1",
            host_network=True, command=iperf3.client_argv(server="10.0.0.11", port=5201, bind="10.0.0.14"),
            deadline_s=63),
        "sockperf-server-pod": nm.sockperf_server("sockperf-server-kcp1-3", run_id=RUN, image="sockperf",
                                                  node="kcp1", host_network=False, bind=None,
                                                  serves="svc-netperf-kcp1-1"),
        "sockperf-client": nm.tool_client(
            "sockperf-client-kwk1-3", tool="sockperf", run_id=RUN, image="sockperf", node="kwk1",
            host_network=False, command=sockperf.ping_pong_argv(server="10.96.0.7", port=11111),
            deadline_s=62),
        "cluster-ip-service": nm.cluster_ip_service("svc-netperf-kcp1-1", run_id=RUN),
    }


def custom_objects() -> dict[str, dict[str, Any]]:
    return {
        "lb-pool": nm.lb_pool("harness-run-lb-web", run_id=RUN, first=IPv4Address("10.0.0.100"),
                              last=IPv4Address("10.0.0.127")),
        "l2-policy": nm.l2_policy("harness-run-lb-web", run_id=RUN),
    }


def translated_policies() -> Iterator[tuple[str, dict[str, Any]]]:
    """The suite's policy cases as `apply_policies` sends them to the cluster."""
    network = KubernetesNetwork(api=lambda: None,  # type: ignore[arg-type,return-value]
                                workloads=Workloads(api=lambda: None,  # type: ignore[arg-type,return-value]
                                                    wait=WaitSettings()),
                                profile=load_profile("profiles/homelab.example.yaml"),
                                run_id=lambda: RUN)
    for namespace in ("x", "y", "z"):
        network._real[namespace] = network.real_namespace(namespace)
    for case, text in CASES.items():
        text = text.replace("{addr[y/b]}", "10.244.1.7").replace("{pods_cidr}", "10.244.0.0/16")
        documents = [d for d in yaml.safe_load_all(text) if d]
        for index, doc in enumerate(network.cluster_documents(documents)):
            yield f"{case}-{index}", doc


POLICIES = dict(translated_policies())


def check_core(obj: dict[str, Any]) -> None:
    kubernetes_validate.validate(obj, "1.32", strict=True)
    assert manifests.DNS1123.match(obj["metadata"]["name"]), obj["metadata"]["name"]
    for peer in [p for rule in obj.get("spec", {}).get("ingress", []) + obj.get("spec", {}).get("egress", [])
                 for p in rule.get("from", []) + rule.get("to", [])]:
        if "ipBlock" in peer:  # kubernetes-validate does not check CIDR syntax
            for cidr in [peer["ipBlock"]["cidr"], *peer["ipBlock"].get("except", [])]:
                ipaddress.ip_network(cidr)


@pytest.mark.parametrize("name", sorted(core_objects()))
def test_core_object_is_valid(name: str) -> None:
    obj = core_objects()[name]
    check_core(obj)
    assert obj["metadata"]["labels"][manifests.RUN_LABEL] == RUN


@pytest.mark.parametrize("release", RELEASES)
@pytest.mark.parametrize("name", sorted(custom_objects()))
def test_cilium_object_is_valid_in_both_releases(name: str, release: str) -> None:
    obj = custom_objects()[name]
    validate_custom(obj, release=release)
    assert obj["metadata"]["labels"][manifests.MANAGED_BY_LABEL] == manifests.MANAGED_BY


@pytest.mark.parametrize("release", RELEASES)
@pytest.mark.parametrize("name", sorted(POLICIES))
def test_policy_as_sent_to_the_cluster_is_valid(name: str, release: str) -> None:
    doc = POLICIES[name]
    if doc["kind"] == "NetworkPolicy":
        check_core(doc)
    else:
        validate_custom(doc, release=release)
    assert doc["metadata"]["labels"][manifests.RUN_LABEL] == RUN
    assert doc["metadata"].get("namespace", "harness-").startswith("harness-")


def test_namespace_selectors_are_rewritten_to_the_run_namespaces() -> None:
    ccnp = POLICIES["ccnp-from-namespace-0"]
    assert ccnp["metadata"]["name"] == "harness-20250101t000000z-abc123-c-from-z"
    assert ccnp["spec"]["ingress"][0]["fromEndpoints"][0]["matchLabels"] == {
        "k8s:io.kubernetes.pod.namespace": "harness-20250101t000000z-abc123-z"}
    assert POLICIES["default-deny-ingress-0"]["metadata"]["namespace"] == "harness-20250101t000000z-abc123-x"


@pytest.mark.parametrize("release", RELEASES)
def test_an_unknown_field_in_a_cilium_object_is_caught(release: str) -> None:
    broken = copy.deepcopy(custom_objects()["l2-policy"])
    broken["spec"]["loadBalancerIP"] = True  # misspelt
    with pytest.raises(jsonschema.ValidationError, match="loadBalancerIP"):
        validate_custom(broken, release=release)


@pytest.mark.parametrize("release", RELEASES)
def test_a_bad_cidr_in_a_pool_is_caught(release: str) -> None:
    broken = copy.deepcopy(custom_objects()["lb-pool"])
    broken["spec"]["blocks"] = [{"cidr": "10.0.0.300/27"}]
    with pytest.raises(jsonschema.ValidationError, match="cidr"):
        validate_custom(broken, release=release)


def test_a_bad_cidr_in_a_network_policy_is_caught() -> None:
    broken = copy.deepcopy(POLICIES["ipblock-except-0"])
    broken["spec"]["ingress"][0]["from"][0]["ipBlock"]["cidr"] = "10.244.0.0/33"
    with pytest.raises(ValueError, match=r"10\.244\.0\.0/33"):
        check_core(broken)


def test_an_unknown_field_in_a_core_object_is_caught() -> None:
    broken = copy.deepcopy(core_objects()["lb-service"])
    broken["spec"]["loadBalancerPool"] = "x"
    with pytest.raises(kubernetes_validate.ValidationError):
        check_core(broken)
