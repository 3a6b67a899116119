"""Values the engine reasons about: the cluster (namespaces, pods) and parsed policies.

Both Kubernetes NetworkPolicy and the Cilium L3/L4 subset are parsed into the same `Policy`
shape; the differences in meaning (what an empty rule does, namespace scoping) are settled by the
parsers, so the engine applies one set of rules.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from harness.netpol.entities import CLUSTER_ENDPOINT, KUBE_APISERVER, WORLD, Node, entity_selects
from harness.netpol.errors import ClusterError
from harness.netpol.selectors import Selector

PROTOCOLS = ("TCP", "UDP", "SCTP")
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
# Labels Cilium derives for an endpoint (selectors may name them, with or without the `k8s:` source).
CILIUM_NAMESPACE_LABEL = "io.kubernetes.pod.namespace"
CILIUM_NAMESPACE_LABELS_PREFIX = "io.cilium.k8s.namespace.labels."

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Namespace:
    name: str
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ContainerPort:
    """A named container port, the target of a policy's named port."""

    name: str
    port: int
    protocol: str = "TCP"


@dataclass(frozen=True)
class Pod:
    namespace: str
    name: str
    labels: Mapping[str, str] = field(default_factory=dict)
    ip: str | None = None
    ports: tuple[ContainerPort, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def identity(self) -> frozenset[str]:
        """The labels Cilium's entities look at (entities.py); pod labels are matched elsewhere."""
        return frozenset({CLUSTER_ENDPOINT})

    def resolve(self, name: str, protocol: str | None) -> list[int]:
        """Port numbers of this pod's container ports called `name` (and of `protocol`, if given)."""
        return [p.port for p in self.ports if p.name == name and protocol in (None, p.protocol)]


@dataclass(frozen=True)
class External:
    """An address outside the pods and nodes the engine knows: CIDR peers and the `world` entity
    match it; `kube_apiserver` marks an API server outside the cluster (still world, in Cilium)."""

    ip: str
    kube_apiserver: bool = False

    @property
    def key(self) -> str:
        return self.ip

    @property
    def identity(self) -> frozenset[str]:
        return frozenset({WORLD, KUBE_APISERVER}) if self.kube_apiserver else frozenset({WORLD})


Endpoint = Pod | External | Node


class Cluster:
    """Namespaces and pods; each namespace gets `kubernetes.io/metadata.name`, as the API server adds it."""

    def __init__(self, *, namespaces: Iterable[Namespace], pods: Iterable[Pod]) -> None:
        self.namespaces: dict[str, Namespace] = {}
        for ns in namespaces:
            labels = {NAMESPACE_NAME_LABEL: ns.name, **ns.labels}
            self.namespaces[ns.name] = Namespace(ns.name, labels)
        self.pods: tuple[Pod, ...] = tuple(pods)
        self._cilium_labels: dict[str, tuple[Pod, dict[str, str]]] = {}
        missing = sorted({p.namespace for p in self.pods} - set(self.namespaces))
        if missing:
            raise ClusterError(f"pods refer to namespaces that are not listed: {', '.join(missing)}")
        keys = [p.key for p in self.pods]
        if len(set(keys)) != len(keys):
            raise ClusterError("two pods have the same namespace/name")

    def pod(self, key: str) -> Pod:
        for pod in self.pods:
            if pod.key == key:
                return pod
        raise ClusterError(f"no pod {key} in the cluster")

    def namespace_labels(self, name: str) -> Mapping[str, str]:
        return self.namespaces[name].labels

    def cilium_labels(self, pod: Pod) -> Mapping[str, str]:
        """The label set Cilium matches endpoint selectors against (built once per pod: the matrix
        asks for it for every policy of every cell)."""
        cached = self._cilium_labels.get(pod.key)
        if cached is not None and cached[0] is pod:
            return cached[1]
        labels = dict(pod.labels)
        labels[CILIUM_NAMESPACE_LABEL] = pod.namespace
        for key, value in self.namespace_labels(pod.namespace).items():
            labels[CILIUM_NAMESPACE_LABELS_PREFIX + key] = value
        self._cilium_labels[pod.key] = (pod, labels)
        return labels


@dataclass(frozen=True)
class K8sPeer:
    """podSelector and/or namespaceSelector; a missing namespaceSelector means the policy's namespace."""

    policy_namespace: str
    pod_selector: Selector | None
    namespace_selector: Selector | None

    def matches(self, endpoint: Endpoint, cluster: Cluster) -> bool:
        if not isinstance(endpoint, Pod):
            return False
        if self.namespace_selector is None:
            in_scope = endpoint.namespace == self.policy_namespace
        else:
            in_scope = self.namespace_selector.matches(cluster.namespace_labels(endpoint.namespace))
        return in_scope and (self.pod_selector is None or self.pod_selector.matches(endpoint.labels))

    def __str__(self) -> str:
        ns = f"ns[{self.namespace_selector}]" if self.namespace_selector else f"ns={self.policy_namespace}"
        return f"{ns} pods[{self.pod_selector or '{}'}]"


@dataclass(frozen=True)
class CiliumPeer:
    """An endpoint selector over Cilium's derived labels (namespace scoping already folded in)."""

    selector: Selector

    def matches(self, endpoint: Endpoint, cluster: Cluster) -> bool:
        return isinstance(endpoint, Pod) and self.selector.matches(cluster.cilium_labels(endpoint))

    def __str__(self) -> str:
        return f"endpoints[{self.selector}]"


@dataclass(frozen=True)
class CidrPeer:
    """ipBlock / fromCIDR(Set): an address inside `cidr` and outside every `excepts` network."""

    cidr: IPNetwork
    excepts: tuple[IPNetwork, ...] = ()
    # Cilium never matches its own endpoints by CIDR; Kubernetes' e2e tests expect pod IPs to match.
    selects_pods: bool = True

    def matches(self, endpoint: Endpoint, cluster: Cluster) -> bool:
        if isinstance(endpoint, Node):  # nodes carry no CIDR labels (entities.py)
            return False
        if isinstance(endpoint, Pod) and (not self.selects_pods or endpoint.ip is None):
            return False
        address = ipaddress.ip_address(endpoint.ip or "")
        if address.version != self.cidr.version or address not in self.cidr:
            return False
        return not any(address.version == e.version and address in e for e in self.excepts)

    def __str__(self) -> str:
        cut = f" except {','.join(map(str, self.excepts))}" if self.excepts else ""
        return f"cidr {self.cidr}{cut}"


def _in_networks(address: IPAddress, networks: Iterable[IPNetwork]) -> bool:
    return any(address.version == n.version and address in n for n in networks)


@dataclass(frozen=True)
class CidrGroupPeer:
    """A CIDR-set entry naming CiliumCIDRGroups by `ref` (name) or `selector` (their labels).

    `networks` are the chosen groups' externalCIDRs, filled in once every group of the policy set
    is read (cidr_groups.resolve_cidr_groups); naming a group that is not there matches nothing,
    as in Cilium. Like every CIDR peer it matches addresses outside the cluster, never pods.
    """

    ref: str | None
    selector: Selector | None
    excepts: tuple[IPNetwork, ...] = ()
    networks: tuple[IPNetwork, ...] = ()

    def matches(self, endpoint: Endpoint, cluster: Cluster) -> bool:
        if not isinstance(endpoint, External):
            return False
        address = ipaddress.ip_address(endpoint.ip)
        return _in_networks(address, self.networks) and not _in_networks(address, self.excepts)

    def __str__(self) -> str:
        chosen = f"cidr group {self.ref}" if self.ref is not None else f"cidr groups[{self.selector}]"
        cut = f" except {','.join(map(str, self.excepts))}" if self.excepts else ""
        return chosen + cut


@dataclass(frozen=True)
class EntityPeer:
    """A Cilium entity (`world`, `host`, `cluster`, ...: entities.py says which peers each selects)."""

    entity: str

    def matches(self, endpoint: Endpoint, cluster: Cluster) -> bool:
        return entity_selects(self.entity, endpoint.identity)

    def __str__(self) -> str:
        return f"entity {self.entity}"


Peer = K8sPeer | CiliumPeer | CidrPeer | CidrGroupPeer | EntityPeer


@dataclass(frozen=True)
class PortMatch:
    """One port clause: protocol None = any of TCP/UDP/SCTP; port None = every port; str = named port."""

    protocol: str | None
    port: int | str | None = None
    end_port: int | None = None

    def matches(self, port: int, protocol: str, destination: Endpoint) -> bool:
        if self.protocol is not None and self.protocol != protocol:
            return False
        if self.port is None:
            return True
        if isinstance(self.port, str):  # named: resolved on the pod the traffic goes to
            return isinstance(destination, Pod) and port in destination.resolve(self.port, protocol)
        return self.port <= port <= (self.end_port or self.port)

    def __str__(self) -> str:
        where = "all ports" if self.port is None else str(self.port)
        if self.end_port:
            where += f"-{self.end_port}"
        return f"{where}/{self.protocol or 'ANY'}"


@dataclass(frozen=True)
class Rule:
    """Peers None = any peer, () = no peer; ports None = any port. Both must match."""

    where: str
    peers: tuple[Peer, ...] | None
    ports: tuple[PortMatch, ...] | None

    def matches(self, *, peer: Endpoint, port: int, protocol: str, destination: Endpoint,
                cluster: Cluster) -> bool:
        if self.peers is not None and not any(p.matches(peer, cluster) for p in self.peers):
            return False
        return self.ports is None or any(p.matches(port, protocol, destination) for p in self.ports)


@dataclass(frozen=True)
class Policy:
    """A parsed policy: who it selects, its allow and deny rules, and which directions it isolates."""

    kind: str
    name: str
    namespace: str | None
    subject: K8sPeer | CiliumPeer
    ingress: tuple[Rule, ...] = ()
    egress: tuple[Rule, ...] = ()
    ingress_deny: tuple[Rule, ...] = ()
    egress_deny: tuple[Rule, ...] = ()
    isolates_ingress: bool = False
    isolates_egress: bool = False

    @property
    def ref(self) -> str:
        """How a diff names it: `NetworkPolicy y/deny-all`, `CiliumClusterwideNetworkPolicy deny-world`."""
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"
