"""Benchmark: load 30 pods and 25 policies and compute the full expected matrix.

    .venv/bin/python benchmarks/netpol_matrix.py [--pods 30] [--policies 25]

Pods are spread over 3 namespaces with named ports; the policies mix NetworkPolicy,
CiliumNetworkPolicy (namespace-label peers, CIDR groups, denies) and cluster-wide ones. Prints the
wall time of parsing + cluster loading + `expected_matrix` over 4 ports (best of 5).
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from harness.netpol import cluster_from_objects, expected_matrix, parse_policies

NAMESPACES = ("x", "y", "z")
PORTS: list[int | tuple[int, str]] = [80, 81, (53, "UDP"), 8080]
TEMPLATES = (
    """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: np-{i}, namespace: {ns}}}
spec:
  podSelector: {{matchLabels: {{app: app-{a}}}}}
  ingress: [{{from: [{{namespaceSelector: {{matchLabels: {{ns: {other}}}}}, podSelector: {{}}}}],
              ports: [{{port: http}}, {{port: 53, protocol: UDP}}]}}]
""",
    """apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {{name: cnp-{i}, namespace: {ns}}}
spec:
  endpointSelector: {{matchLabels: {{tier: t{t}}}}}
  ingress: [{{fromEndpoints: [{{matchLabels: {{k8s:io.cilium.k8s.namespace.labels.ns: {other}}}}}],
              toPorts: [{{ports: [{{port: "80", protocol: TCP}}]}}]}},
            {{fromCIDRSet: [{{cidrGroupRef: office}}]}}]
  egressDeny: [{{toEndpoints: [{{matchLabels: {{app: app-{a}}}}}], toPorts: [{{ports: [{{port: "81"}}]}}]}}]
""",
    """apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata: {{name: ccnp-{i}}}
spec:
  endpointSelector: {{matchExpressions: [{{key: app, operator: In, values: [app-{a}, app-{b}]}}]}}
  enableDefaultDeny: {{ingress: false}}
  ingressDeny: [{{fromEndpoints: [{{matchLabels: {{io.kubernetes.pod.namespace: {other}, tier: t{t}}}}}]}}]
""",
)
GROUP = """apiVersion: cilium.io/v2alpha1
kind: CiliumCIDRGroup
metadata: {name: office, labels: {role: office}}
spec: {externalCIDRs: [192.0.2.0/24, 198.51.100.0/24]}
"""


def cluster_objects(count: int) -> dict[str, list[dict[str, Any]]]:
    namespaces = [{"metadata": {"name": ns, "labels": {"ns": ns}}} for ns in NAMESPACES]
    pods = [{"metadata": {"name": f"pod-{i}", "namespace": NAMESPACES[i % 3],
                          "labels": {"app": f"app-{i % 7}", "tier": f"t{i % 4}"}},
             "spec": {"containers": [{"name": "main", "ports": [
                 {"name": "http", "containerPort": 8080}, {"name": "dns", "containerPort": 53,
                                                          "protocol": "UDP"}]}]},
             "status": {"podIP": f"10.0.{i // 250}.{i % 250 + 1}"}} for i in range(count)]
    return {"namespaces": namespaces, "pods": pods}


def policy_text(count: int) -> str:
    documents = [GROUP]
    for i in range(count):
        documents.append(TEMPLATES[i % 3].format(i=i, ns=NAMESPACES[i % 3], other=NAMESPACES[(i + 1) % 3],
                                                 a=i % 7, b=(i + 3) % 7, t=i % 4))
    return "---\n".join(documents)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=30)
    parser.add_argument("--policies", type=int, default=25)
    args = parser.parse_args()
    objects, text = cluster_objects(args.pods), policy_text(args.policies)
    timings = []
    for _ in range(5):
        began = time.perf_counter()
        cluster = cluster_from_objects(namespaces=objects["namespaces"], pods=objects["pods"])
        policies = parse_policies(text, source="benchmark")
        matrix = expected_matrix(cluster, policies, PORTS)
        timings.append(time.perf_counter() - began)
    allowed = sum(matrix.cells.values())
    print(f"netpol matrix: {args.pods} pods x {len(policies)} policies x {len(PORTS)} ports -> "
          f"{len(matrix)} cells ({allowed} allowed) in {min(timings):.3f} s (best of 5; "
          f"worst {max(timings):.3f} s)")


if __name__ == "__main__":
    main()
