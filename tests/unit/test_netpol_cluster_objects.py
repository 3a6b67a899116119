"""Namespace and Pod objects that the engine cannot use are its own ClusterError, naming the file,
the object (items[i]) and the field path; never a bare KeyError or TypeError."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.netpol import ClusterError, PolicyError, load_cluster, parse_policies

NAMESPACES = {"kind": "NamespaceList", "items": [{"metadata": {"name": "a", "labels": {"team": "red"}}}]}


def pod(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"metadata": {"name": "web", "namespace": "a", "labels": {"app": "web"}},
                            "spec": {"containers": [{"name": "main", "ports": [
                                {"name": "http", "containerPort": 8080, "protocol": "TCP"}]}]},
                            "status": {"podIP": "10.0.1.1"}}
    return base | changes


def load(tmp_path: Path, pods: list[Any], namespaces: Any = NAMESPACES) -> object:
    (tmp_path / "ns.json").write_text(json.dumps(namespaces))
    (tmp_path / "pods.json").write_text(json.dumps({"kind": "PodList", "items": pods}))
    return load_cluster(namespaces=tmp_path / "ns.json", pods=tmp_path / "pods.json")


def test_a_valid_list_loads_with_its_named_ports(tmp_path: Path) -> None:
    cluster = load(tmp_path, [pod()])
    assert cluster.pod("a/web").resolve("http", "TCP") == [8080]  # type: ignore[attr-defined]


@pytest.mark.parametrize(("changes", "problem"), [
    ({"spec": {"containers": [{"ports": [{"name": "http"}]}]}},
     "pods.json items[0]: spec.containers[0].ports[0].containerPort: is required: a port number"),
    ({"spec": {"containers": [{"ports": [{"name": "http", "containerPort": "8080"}]}]}},
     "spec.containers[0].ports[0].containerPort: is required: a port number between 1 and 65535"),
    ({"spec": {"containers": [{"ports": [{"name": "HTTP_1", "containerPort": 80}]}]}},
     "spec.containers[0].ports[0].name: 'HTTP_1' is not a valid port name"),
    ({"spec": {"containers": [{"ports": [{"name": "dns", "containerPort": 53, "protocol": "ICMP"}]}]}},
     "spec.containers[0].ports[0].protocol: 'ICMP' is not one of TCP, UDP, SCTP"),
    ({"spec": {"containers": {"ports": []}}}, "spec.containers: must be a list of containers"),
    ({"status": {"podIP": "10.0.1.300"}}, "status.podIP: '10.0.1.300' is not an IP address"),
    ({"status": {"podIP": 167772417}}, "status.podIP: '167772417' is not an IP address"),
    ({"metadata": {"name": "web", "labels": {"app": "web"}}},
     "metadata.namespace: 'None' is not a valid namespace name"),
    ({"metadata": {"name": "web", "namespace": "a", "labels": ["app"]}},
     "metadata.labels: must be a mapping of label keys to values"),
    ({"metadata": None}, "pods.json items[0]: metadata: must be a mapping with at least a name"),
])
def test_a_bad_pod_is_named_with_its_field(tmp_path: Path, changes: dict[str, Any], problem: str) -> None:
    with pytest.raises(ClusterError) as caught:
        load(tmp_path, [pod(), pod(**changes)] if "items[0]" not in problem else [pod(**changes)])
    assert problem in str(caught.value)
    assert caught.value.problems, "each problem is listed with its path"


def test_every_problem_of_every_object_is_listed_at_once(tmp_path: Path) -> None:
    with pytest.raises(ClusterError) as caught:
        load(tmp_path, [pod(status={"podIP": "x"}), "not a pod"],
             {"items": [{"metadata": {"name": "A"}}]})
    assert [path for path, _ in caught.value.problems] == [
        "ns.json items[0]: metadata.name", "pods.json items[0]: status.podIP", "pods.json items[1]"]
    assert str(caught.value).startswith("cluster objects from ns.json and pods.json have 3 problems:")


def test_a_pod_in_an_unlisted_namespace_names_the_files(tmp_path: Path) -> None:
    with pytest.raises(ClusterError, match=r"from ns.json and pods.json: pods refer to namespaces that are "
                                           r"not listed: b"):
        load(tmp_path, [pod(metadata={"name": "web", "namespace": "b"})])


@pytest.mark.parametrize("text", ["created: 2026-02-30\n", "{", "\xff"])
def test_an_unreadable_file_is_a_cluster_error(tmp_path: Path, text: str) -> None:
    (tmp_path / "ns.json").write_text(json.dumps(NAMESPACES))
    (tmp_path / "pods.json").write_bytes(text.encode("latin-1"))
    with pytest.raises(ClusterError, match=r"cannot read .*pods\.json"):
        load_cluster(namespaces=tmp_path / "ns.json", pods=tmp_path / "pods.json")


def test_a_policy_type_that_is_not_a_string_is_a_problem_not_a_type_error() -> None:
    text = ("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: a}\n"
            "spec: {podSelector: {}, policyTypes: [{Ingress: 1}]}\n")
    with pytest.raises(PolicyError, match=r"spec.policyTypes\[0\]: .* is neither Ingress nor Egress"):
        parse_policies(text)


def test_a_policy_date_that_does_not_exist_is_a_problem_not_a_value_error() -> None:
    with pytest.raises(PolicyError, match="is not valid YAML"):
        parse_policies("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
                       "metadata: {name: 2026-02-30}\n")
