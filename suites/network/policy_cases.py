"""The policy matrix cases: 9 pods (namespaces x, y, z by pods a, b, c), ports 80 (`http`) and
81 (`alt`). Each case is the YAML an operator would apply; `{addr[y/b]}` is filled in with the
pod's address once the pods exist (ipBlock needs real addresses), `{pods_cidr}` with the
smallest network holding every matrix pod (pod subnets differ between targets)."""

from __future__ import annotations

CASES: dict[str, str] = {
    "no-policies": "",
    "default-deny-ingress": """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: x}
spec:
  podSelector: {}
  policyTypes: [Ingress]
""",
    "allow-by-namespace-label": """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: from-y, namespace: x}
spec:
  podSelector: {}
  ingress:
    - from: [{namespaceSelector: {matchLabels: {ns: y}}}]
""",
    "allow-by-pod-label": """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: from-b, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
    - from: [{podSelector: {matchLabels: {pod: b}}}]
""",
    "namespace-and-pod-expressions": """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: from-z-not-c, namespace: y}
spec:
  podSelector: {matchExpressions: [{key: pod, operator: In, values: [a, b]}]}
  ingress:
    - from:
        - namespaceSelector: {matchExpressions: [{key: ns, operator: In, values: [z]}]}
          podSelector: {matchExpressions: [{key: pod, operator: NotIn, values: [c]}]}
""",
    "egress-deny-dns-allowed": """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: egress-dns-only, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Egress]
  egress:
    - ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]
""",
    "ipblock-except": """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: pods-but-one, namespace: z}
spec:
  podSelector: {}
  ingress:
    - from: [{ipBlock: {cidr: "{pods_cidr}", except: ["{addr[y/b]}/32"]}}]
""",
    "named-port": """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: alt-only, namespace: y}
spec:
  podSelector: {}
  ingress:
    - ports: [{port: alt, protocol: TCP}]
""",
    "port-range": """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: range-81-90, namespace: x}
spec:
  podSelector: {}
  ingress:
    - from: [{namespaceSelector: {}}]
      ports: [{port: 81, endPort: 90, protocol: TCP}]
""",
    "cnp-endpoints-and-ports": """
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: a-from-b-http, namespace: y}
spec:
  endpointSelector: {matchLabels: {pod: a}}
  ingress:
    - fromEndpoints: [{matchLabels: {pod: b}}]
      toPorts: [{ports: [{port: "80", protocol: TCP}]}]
""",
    "ccnp-from-namespace": """
apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata: {name: c-from-z}
spec:
  endpointSelector: {matchLabels: {pod: c}}
  ingress:
    - fromEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: z}}]
""",
    "cnp-egress-deny": """
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: b-no-81-to-x, namespace: z}
spec:
  endpointSelector: {matchLabels: {pod: b}}
  egress:
    - toEndpoints: [{}]
  egressDeny:
    - toEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: x}}]
      toPorts: [{ports: [{port: "81", protocol: TCP}]}]
""",
    # Entities: the matrix adds the peers the target can run (on the lab: a host outside the
    # cluster as `world`, every node as `host` to its own pods and `remote-node` to the others').
    "cnp-entities-world-host": """
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: a-from-world-http-to-host-only, namespace: x}
spec:
  endpointSelector: {matchLabels: {pod: a}}
  ingress:
    - fromEntities: [world]
      toPorts: [{ports: [{port: "80", protocol: TCP}]}]
  egress:
    - toEntities: [host]
""",
    "ccnp-entities-cluster-remote-node": """
apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata: {name: b-stays-in-cluster}
spec:
  endpointSelector: {matchLabels: {pod: b}}
  egress:
    - toEntities: [cluster]
  ingress:
    - fromEntities: [remote-node]
      toPorts: [{ports: [{port: "81", protocol: TCP}]}]
""",
}

ENTITY_CASES = frozenset(name for name, text in CASES.items() if "Entities:" in text)
"""Cases probed to and from the target's peers beside the pods (`Network.policy_peers`)."""
