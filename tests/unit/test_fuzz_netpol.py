"""Property: the policy engine either accepts a policy set or cluster list that it can then
evaluate, or rejects it with its own error (PolicyError, ClusterError) listing every problem with
its path — never a bare KeyError, TypeError or ValueError.

Seeds: every Cilium example of the netpol tests, the suites' policy-matrix cases (with their
placeholders filled) and the shared test cluster as `kubectl get -o json` lists; the damage is
tests/unit/fuzzing.py's, as for the other loaders. Bounded and derandomized like
test_fuzz_loaders.py; each test prints its count and seconds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.netpol import (
    ClusterError,
    External,
    PolicyError,
    decide,
    expected_matrix,
    load_cluster,
    parse_policies,
)
from harness.netpol.model import Cluster, Pod
from suites.network.policy_cases import CASES
from tests.unit.fuzzing import damaged_yaml, fuzz_counted, mutated
from tests.unit.netpol_cases import cluster
from tests.unit.test_netpol_cidr_groups import EXAMPLES as GROUP_EXAMPLES
from tests.unit.test_netpol_cilium import EXAMPLES as CILIUM_EXAMPLES
from tests.unit.test_netpol_cilium_scope import EXAMPLES as SCOPE_EXAMPLES
from tests.unit.test_netpol_entities import EXAMPLES as ENTITY_EXAMPLES
from tests.unit.test_netpol_entities import PEERS as ENTITY_PEERS

EXAMPLES = 300
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
PORTS: list[int | tuple[int, str]] = [80, 8080, (53, "UDP"), (9090, "SCTP")]
OUTSIDE = [External("10.48.0.5"), External("192.0.2.1"), External("10.9.9.9"), External("fd00::1"),
           *(p for p in ENTITY_PEERS.values() if not isinstance(p, Pod))]


def _policy_sets() -> list[dict[str, Any]]:
    """Each example as one `List`, so mutations reach every document of a set."""
    texts = [t.replace("{addr[y/b]}", "10.0.2.1").replace("{pods_cidr}", "10.0.0.0/16")
             for t in CASES.values()]
    texts += [*CILIUM_EXAMPLES.values(), *GROUP_EXAMPLES.values(), *ENTITY_EXAMPLES.values(),
              *list(SCOPE_EXAMPLES.values())[::6]]
    return [{"apiVersion": "v1", "kind": "List", "items": [d for d in yaml.safe_load_all(t) if d]}
            for t in texts if t.strip()]


def _cluster_lists() -> dict[str, Any]:
    """The shared test cluster as NamespaceList and PodList objects."""
    shared = cluster()
    namespaces = [{"metadata": {"name": ns.name, "labels": dict(ns.labels)}}
                  for ns in shared.namespaces.values()]
    pods = [{"metadata": {"name": p.name, "namespace": p.namespace, "labels": dict(p.labels)},
             "spec": {"containers": [{"name": "main", "ports": [
                 {"name": c.name, "containerPort": c.port, "protocol": c.protocol} for c in p.ports]}]},
             "status": {"podIP": p.ip}} for p in shared.pods]
    return {"namespaces": {"kind": "NamespaceList", "items": namespaces},
            "pods": {"kind": "PodList", "items": pods}}


POLICY_SETS = _policy_sets()
CLUSTER = _cluster_lists()


def _rejected_well(error: PolicyError | ClusterError) -> None:
    assert str(error).strip()
    for path, sentence in error.problems:
        assert isinstance(path, str) and isinstance(sentence, str) and sentence.strip()


def _evaluate(shared: Cluster, policies: list[Any]) -> None:
    """What the suites do next with an accepted input: the whole matrix, and outside peers."""
    matrix = expected_matrix(shared, policies, PORTS)
    assert len(matrix) == len(shared.pods) * (len(shared.pods) - 1) * len(PORTS)
    for pod in shared.pods:
        for outside in OUTSIDE:
            decide(shared, policies, src=pod, dst=outside, port=80, protocol="TCP")
            decide(shared, policies, src=outside, dst=pod, port=53, protocol="UDP")



def test_policy_sets_are_evaluated_or_rejected_with_paths() -> None:
    counter, accepted = [0], [0]
    shared = cluster()

    @FUZZ
    @given(text=mutated(POLICY_SETS).flatmap(lambda doc: damaged_yaml(yaml.safe_dump(doc))))
    def check(text: str) -> None:
        counter[0] += 1
        try:
            policies = parse_policies(text, source="fuzz.yaml")
        except PolicyError as error:
            _rejected_well(error)
            return
        accepted[0] += 1
        _evaluate(shared, policies)

    fuzz_counted("policy sets", check, counter, EXAMPLES)
    assert 0 < accepted[0] < counter[0], "the damage should leave some sets valid and break others"


def test_cluster_lists_are_evaluated_or_rejected_with_paths(tmp_path: Path) -> None:
    counter, accepted = [0], [0]
    policies = parse_policies(CILIUM_EXAMPLES["named-port"] + GROUP_EXAMPLES["except"]
                              + CILIUM_EXAMPLES["namespace-labels"])
    files = {"namespaces": tmp_path / "namespaces.json", "pods": tmp_path / "pods.json"}

    @FUZZ
    @given(tree=mutated([CLUSTER]), data=st.data())
    def check(tree: Any, data: st.DataObject) -> None:
        counter[0] += 1
        for key, path in files.items():  # a mutated root is written to both files
            text = yaml.safe_dump(tree.get(key) if isinstance(tree, dict) else tree)
            path.write_text(data.draw(damaged_yaml(text)))
        try:
            shared = load_cluster(namespaces=files["namespaces"], pods=files["pods"])
        except ClusterError as error:
            _rejected_well(error)
            return
        accepted[0] += 1
        _evaluate(shared, policies)

    fuzz_counted("cluster lists", check, counter, EXAMPLES)
    assert 0 < accepted[0] < counter[0], "the damage should leave some lists valid and break others"
