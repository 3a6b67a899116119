"""NetworkPolicy, CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy: the probed matrix of
9 pods by 3 ports (80, 81 and DNS's 53) over TCP and UDP must equal what the expected-reachability
engine computes from the same YAML. Cases with entities also probe to and from the peers the
target can run beside the pods (`Network.policy_peers`; on the lab the world and the nodes).

One test per case; a mismatch lists every differing cell and the policy that should have
decided it. Every case records a `policy-matrix` timeline for the report.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from ipaddress import ip_network
from typing import Any

import pytest
import yaml

from harness.metrics import POLICY_MATRIX_SECONDS
from harness.netpol.engine import expected_matrix, expected_peer_matrix
from harness.netpol.load import cluster_from_objects, parse_policies
from harness.netpol.matrix import Matrix, diff, policy_matrix_timeline
from harness.plugin import Measure
from harness.targets.base import Target
from harness.targets.network import POD_PORTS, Peer, Pod, PodSpec
from harness.workloads.connect import DENIED_AFTER_S, FIRST_LOOK_S
from suites.network.policy_cases import CASES, ENTITY_CASES

NAMESPACES = ("x", "y", "z")
NAMES = ("a", "b", "c")
PORTS = sorted(POD_PORTS.values())
PROTOCOLS = ("TCP", "UDP")
MAX_SHOWN = 20


@pytest.fixture(scope="module")
def matrix_pods(target: Target) -> Iterator[dict[str, Pod]]:
    nodes = [n.name for n in target.nodes()]
    specs = [PodSpec(name=name, namespace=ns, node=nodes[i % len(nodes)], labels={"pod": name})
             for i, (ns, name) in enumerate((ns, name) for ns in NAMESPACES for name in NAMES)]
    labels = {ns: {"ns": ns} for ns in NAMESPACES}
    with target.network.pods(specs, namespace_labels=labels) as made:
        yield {pod.ref: pod for pod in made}


@pytest.fixture(scope="module")
def matrix_peers(target: Target) -> Iterator[list[Peer]]:
    """The target's peers beside the pods, serving for the module (made only if a case asks)."""
    with target.network.policy_peers() as peers:
        yield peers


def _cluster_objects(pods: dict[str, Pod]) -> dict[str, list[dict[str, Any]]]:
    namespaces = [{"metadata": {"name": ns, "labels": {"ns": ns}}} for ns in NAMESPACES]
    objects = [{"metadata": {"name": p.name, "namespace": p.namespace, "labels": dict(p.labels)},
                # As the pods declare them: each port named once per protocol, UDP's `<name>-udp`.
                "spec": {"containers": [{"ports": [
                    {"name": n if proto == "TCP" else f"{n}-udp", "containerPort": port, "protocol": proto}
                    for n, port in p.ports.items() for proto in PROTOCOLS]}]},
                "status": {"podIP": p.address}} for p in pods.values()]
    return {"namespaces": namespaces, "pods": objects}


def _covering_cidr(addresses: Iterable[str]) -> str:
    """The smallest network that holds every address."""
    hosts = [ip_network(f"{address}/32") for address in addresses]
    network = hosts[0]
    while not all(host.subnet_of(network) for host in hosts):
        network = network.supernet()
    return str(network)


def _observe(target: Target, pods: list[Pod], peers: list[Peer], timeout_s: float) -> Matrix:
    return Matrix.from_results(
        (c.source, c.destination, c.port, c.protocol, c.allowed)
        for c in target.network.connect_matrix(pods, ports=PORTS, protocols=PROTOCOLS, peers=peers,
                                               timeout_s=timeout_s))


def _observe_until_in_force(target: Target, pods: list[Pod], expected: Matrix,
                            peers: list[Peer]) -> tuple[Matrix, int]:
    """Probe the matrix until it shows the expected verdicts or the target's propagation bound
    has passed; returns the verdict's observation and how many rounds it took.

    Rounds take a first look (`FIRST_LOOK_S` per denied cell); a matrix that still differs
    after the bound is probed once more with the full `DENIED_AFTER_S`, and that is the verdict,
    so an answer slower than the first look never reads as a drop."""
    deadline = time.monotonic() + target.network.policy_propagation_s
    attempts = 0
    while True:
        attempts += 1
        observed = _observe(target, pods, peers, FIRST_LOOK_S)
        if not diff(expected, observed):
            return observed, attempts
        if time.monotonic() >= deadline:
            return _observe(target, pods, peers, DENIED_AFTER_S), attempts + 1


@pytest.mark.parametrize("case", list(CASES))
def test_policy_matrix(target: Target, matrix_pods: dict[str, Pod], case: str, measure: Measure,
                       record_timeline: Callable[[str, str, dict[str, Any]], None],
                       request: pytest.FixtureRequest) -> None:
    text = (CASES[case].replace("{addr[y/b]}", matrix_pods["y/b"].address)
            .replace("{pods_cidr}", _covering_cidr(p.address for p in matrix_pods.values())))
    documents = [d for d in yaml.safe_load_all(text) if d]
    peers: list[Peer] = request.getfixturevalue("matrix_peers") if case in ENTITY_CASES else []
    cluster = cluster_from_objects(**_cluster_objects(matrix_pods))
    policies = parse_policies(text, source=case)
    wanted = [(port, proto) for port in PORTS for proto in PROTOCOLS]
    expected = expected_matrix(cluster, policies, wanted)
    if peers:
        around = expected_peer_matrix(cluster, policies, wanted,
                                      pod_nodes={key: pod.node for key, pod in matrix_pods.items()},
                                      peers=[(q.kind, q.name, q.address) for q in peers])
        expected = Matrix({**expected.cells, **around.cells}, {**expected.reasons, **around.reasons})
    began = time.monotonic()
    target.network.apply_policies(documents)
    try:
        observed, attempts = _observe_until_in_force(target, list(matrix_pods.values()), expected, peers)
    finally:
        target.network.apply_policies([])
    measure.figure(POLICY_MATRIX_SECONDS, time.monotonic() - began, case=case, attempts=attempts)
    record_timeline(f"policy-matrix {case}", "policy-matrix", policy_matrix_timeline(expected, observed))
    mismatches = diff(expected, observed)
    shown = "\n".join(f"  {m}" for m in mismatches[:MAX_SHOWN])
    more = f"\n  ... and {len(mismatches) - MAX_SHOWN} more" if len(mismatches) > MAX_SHOWN else ""
    assert not mismatches, f"{len(mismatches)} of {len(expected)} cells differ:\n{shown}{more}"
