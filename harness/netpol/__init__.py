"""Expected reachability: which pod may reach which, on which port, under a set of network policies.

Pure: the only I/O is reading the YAML/JSON files handed to `load_policies` / `load_cluster`.
It shares no code with the lab's nftables enforcer (harness/targets/lab), so comparing the two
is a real check.

    cluster = Cluster(namespaces=[Namespace("y", {"team": "a"})],
                      pods=[Pod("y", "a", {"app": "a"}, "10.0.0.1")])
    policies = load_policies(["deny.yaml"])               # or parse_policies(text)
    expected = expected_matrix(cluster, policies, [80, (53, "UDP")])
    observed = Matrix.from_results(probe_results)         # (src, dst, port, protocol, connected)
    for mismatch in diff(expected, observed):
        print(mismatch)                                   # one readable line each
"""

from harness.netpol.engine import Side, Verdict, decide, expected_matrix
from harness.netpol.entities import Node
from harness.netpol.errors import ClusterError, PolicyError
from harness.netpol.load import cluster_from_objects, load_cluster, load_policies, parse_policies
from harness.netpol.matrix import Connection, Matrix, Mismatch, diff, policy_matrix_timeline
from harness.netpol.model import Cluster, ContainerPort, External, Namespace, Pod, Policy

__all__ = [
    "Cluster",
    "ClusterError",
    "Connection",
    "ContainerPort",
    "External",
    "Matrix",
    "Mismatch",
    "Namespace",
    "Node",
    "Pod",
    "Policy",
    "PolicyError",
    "Side",
    "Verdict",
    "cluster_from_objects",
    "decide",
    "diff",
    "expected_matrix",
    "load_cluster",
    "load_policies",
    "parse_policies",
    "policy_matrix_timeline",
]
