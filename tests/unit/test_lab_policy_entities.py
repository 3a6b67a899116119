"""Entities on the lab: the enforcer's nftables for `world`, `host`, `remote-node`, `cluster` and
Cilium's allow-localhost, and the expected verdicts between the pods and the peers beside them
(`expected_peer_matrix`) for the suite's two entity cases."""

from __future__ import annotations

import pytest
import yaml

from harness.netpol.engine import expected_peer_matrix
from harness.netpol.load import cluster_from_objects, parse_policies
from harness.targets.base import TargetError
from harness.targets.lab.policy_enforcer import Compiler
from harness.targets.network import POD_PORTS, Pod
from suites.network.policy_cases import CASES, ENTITY_CASES

HOSTS = {"cp1": ("198.18.0.11", "198.19.11.1"), "cp2": ("198.18.0.12", "198.19.12.1")}
A = Pod(name="a", namespace="x", node="cp1", address="198.19.11.5", labels={"pod": "a"})
B = Pod(name="b", namespace="y", node="cp2", address="198.19.12.5", labels={"pod": "b"})
WORLD = "198.18.0.251"


def table(case: str, pod: Pod) -> str:
    compiler = Compiler([A, B], {"x": {"ns": "x"}, "y": {"ns": "y"}}, hosts=HOSTS)
    for doc in yaml.safe_load_all(CASES[case]):
        compiler.add_cilium(doc)
    return compiler.table(pod, egress=True)


def test_entities_become_the_lab_addresses_of_each_peer() -> None:
    a = table("cnp-entities-world-host", A)
    # world: anything that is neither a pod nor a node (gateways are inside the pod range)
    assert "ip saddr 0.0.0.0/0 ip saddr != { 198.19.0.0/16,198.18.0.11,198.18.0.12 } tcp dport 80 accept" in a
    assert "ip daddr 198.18.0.11 accept" in a and "ip daddr 198.19.11.1 accept" in a  # host: cp1, a's node
    assert "198.18.0.12 accept" not in a.split("chain output")[1]
    b = table("ccnp-entities-cluster-remote-node", B)
    assert "ip saddr 198.18.0.11 tcp dport 81 accept" in b and "ip saddr 198.18.0.12 tcp" not in b
    assert "ip daddr 198.19.0.0/16 accept" in b and "ip daddr 198.18.0.12 accept" in b  # cluster


def test_the_own_node_always_gets_in_unless_denied() -> None:
    rules = table("ccnp-entities-cluster-remote-node", B).split("chain output")[0]
    lines = [line.strip() for line in rules.splitlines()]
    local = lines.index("ip saddr { 198.18.0.12, 198.19.12.1 } accept")
    allow = lines.index("ip saddr 198.18.0.11 tcp dport 81 accept")
    assert lines.index("ct state related accept") < local < allow


def test_an_entity_the_lab_cannot_produce_is_refused() -> None:
    compiler = Compiler([A], {}, hosts=HOSTS)
    doc = {"kind": "CiliumNetworkPolicy", "metadata": {"namespace": "x"},
           "spec": {"endpointSelector": {}, "ingress": [{"fromEntities": ["kube-apiserver"]}]}}
    with pytest.raises(TargetError, match="kube-apiserver"):
        compiler.add_cilium(doc)


def test_expected_verdicts_around_the_pods() -> None:
    assert {"cnp-entities-world-host", "ccnp-entities-cluster-remote-node"} == ENTITY_CASES
    objects = {"namespaces": [{"metadata": {"name": ns, "labels": {"ns": ns}}} for ns in ("x", "y")],
               "pods": [{"metadata": {"name": p.name, "namespace": p.namespace, "labels": dict(p.labels)},
                         "spec": {"containers": [{"ports": [{"name": n, "containerPort": v, "protocol": "TCP"}
                                                            for n, v in POD_PORTS.items()]}]},
                         "status": {"podIP": p.address}} for p in (A, B)]}
    cluster = cluster_from_objects(**objects)
    peers = [("world", "world", WORLD), ("node", "cp1", "198.18.0.11"), ("node", "cp2", "198.18.0.12")]
    pod_nodes = {"x/a": "cp1", "y/b": "cp2"}
    ports = [(80, "TCP"), (81, "TCP"), (80, "UDP")]
    first = expected_peer_matrix(cluster, parse_policies(CASES["cnp-entities-world-host"], source="t"), ports,
                                 pod_nodes=pod_nodes, peers=peers)
    assert first.allowed(WORLD, "x/a", 80) and not first.allowed(WORLD, "x/a", 81)
    assert not first.allowed(WORLD, "x/a", 80, "UDP")
    assert first.allowed("node/cp1", "x/a", 81)  # its own node: allow-localhost
    assert not first.allowed("node/cp2", "x/a", 80)  # a remote node is no world
    assert first.allowed("x/a", "node/cp1", 81) and not first.allowed("x/a", "node/cp2", 81)
    assert not first.allowed("x/a", WORLD, 80) and first.allowed("y/b", WORLD, 80)
    second_policies = parse_policies(CASES["ccnp-entities-cluster-remote-node"], source="t")
    second = expected_peer_matrix(cluster, second_policies, ports, pod_nodes=pod_nodes, peers=peers)
    assert second.allowed("node/cp1", "y/b", 81) and not second.allowed("node/cp1", "y/b", 80)
    assert second.allowed("node/cp2", "y/b", 80)  # host
    assert not second.allowed(WORLD, "y/b", 81) and not second.allowed("y/b", WORLD, 80)
    assert second.allowed("y/b", "node/cp1", 80) and second.allowed("y/b", "node/cp2", 81)
