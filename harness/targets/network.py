"""The network capability of a Target: load balancers, pods, policies, throughput.

Designed for both targets. On the lab, pods are network namespaces behind their node and a
LoadBalancer IP is announced by keepalived and spread with nftables; on a real cluster they are
agnhost pods pinned to nodes and a Service of type LoadBalancer announced by Cilium L2.
Suites only see the values below; every call that can hang has a timeout.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Any

from harness.targets.base import TargetError
from harness.workloads import locust_run
from harness.workloads.connect import DENIED_AFTER_S, ProbeResult
from harness.workloads.http_load import HttpLoadResult, LoadSpec
from harness.workloads.iperf3 import Iperf3Result
from harness.workloads.sockperf import RoundTrips

MAX_PARALLEL_SOURCES = 16
POD_PORTS: dict[str, int] = {"http": 80, "alt": 81, "dns": 53}
"""Ports every test pod serves (TCP and UDP echo), by name: named-port policies refer to them."""


@dataclass(frozen=True)
class PodSpec:
    """A pod to create: where it runs and what it carries."""

    name: str
    namespace: str
    node: str
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Pod:
    name: str
    namespace: str
    node: str
    address: str
    labels: Mapping[str, str] = field(default_factory=dict)
    ports: Mapping[str, int] = field(default_factory=lambda: dict(POD_PORTS))

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class LoadBalancer:
    """A LoadBalancer service: its IP from the pool and the pods behind it."""

    name: str
    ip: str
    port: int
    backends: tuple[Pod, ...]

    @property
    def url(self) -> str:
        return f"http://{self.ip}:{self.port}"


@dataclass(frozen=True)
class Connection:
    """One probed (source pod, destination, port, protocol) and what came back."""

    source: str
    destination: str
    port: int
    protocol: str
    allowed: bool
    outcome: str
    seconds: float

    @classmethod
    def from_probe(cls, source: str, destination: str, result: ProbeResult) -> Connection:
        return cls(source, destination, result.port, result.protocol, result.allowed,
                   result.outcome, result.seconds)


@dataclass(frozen=True)
class ServiceOf:
    """A pod reached through a service address in front of it (`Network.service_of`): as a
    server endpoint, the tool serves in the pod and the client connects to `address`."""

    pod: Pod
    address: str
    name: str
    """The service's name (on a cluster its selector's label value, which server pods carry)."""


Endpoint = str | Pod | ServiceOf
"""A node (by name), a pod, or (as a server) a pod behind a service address: what iperf3 runs on."""


@dataclass(frozen=True)
class Peer:
    """A policy-matrix endpoint that is not a pod, serving `POD_PORTS` like one: `world` (an
    address outside the cluster) or a node (Cilium's `host` to its own pods, `remote-node` to
    the others'). `key` names it in a matrix as the expected-reachability engine does."""

    kind: str
    """`world` or `node`."""
    name: str
    address: str

    @property
    def key(self) -> str:
        return self.address if self.kind == "world" else f"node/{self.name}"


class NotMeasurable(TargetError):
    """The target has no way to take this measurement: the suite skips it with this sentence."""


class Network(ABC):
    """What suites may ask of the cluster's network."""

    policy_propagation_s: float = 0.0
    """How long a policy may take after `apply_policies` returns until it is in force. The lab
    installs its rules before returning (0); Cilium computes and installs them asynchronously,
    and no API status says when that is done, so checks poll the expected verdict this long."""

    @abstractmethod
    def loadbalancer(self, *, backends: int = 3, name: str = "web") -> AbstractContextManager[LoadBalancer]:
        """A LoadBalancer service with `backends` HTTP pods spread over the nodes, each answering
        `GET /` with its own name; removed on exit."""

    @abstractmethod
    def announcer(self, lb: LoadBalancer) -> str | None:
        """The node announcing the LB IP on the switch now (None when nobody does)."""

    @abstractmethod
    def announcers(self, lb: LoadBalancer) -> list[str]:
        """Every node that claims the LB IP: more than one is a split announcement."""

    @abstractmethod
    def pods(self, specs: Sequence[PodSpec], *,
             namespace_labels: Mapping[str, Mapping[str, str]] | None = None,
             ) -> AbstractContextManager[list[Pod]]:
        """Create the pods (and their namespaces, labelled), serving `POD_PORTS` over TCP and UDP;
        policies applied meanwhile are removed with them on exit."""

    @abstractmethod
    def apply_policies(self, documents: Sequence[Mapping[str, Any]]) -> None:
        """Replace the policies in force with these NetworkPolicy / CiliumNetworkPolicy /
        CiliumClusterwideNetworkPolicy documents (an empty list removes them all)."""

    @abstractmethod
    def connect(self, source: Pod, destinations: Sequence[tuple[str, int, str]], *,
                timeout_s: float = DENIED_AFTER_S) -> list[ProbeResult]:
        """From `source`, probe each (address, port, protocol) in parallel; a probe with no answer
        within `timeout_s` is denied."""

    @abstractmethod
    def iperf3(self, *, client: Endpoint, server: Endpoint, seconds: float = 3.0,
               reverse: bool = False, streams: int = 1, udp_mbit: float | None = None) -> Iperf3Result:
        """One iperf3 test between two nodes or pods (data flows client -> server, or server ->
        client with `reverse`): TCP over `streams` parallel connections, or UDP offered at
        `udp_mbit` when given."""

    def service_of(self, pod: Pod) -> AbstractContextManager[ServiceOf]:
        """A service address in front of `pod` (TCP and UDP, every port), as a ClusterIP Service
        selecting it would be, for as long as the context lasts."""
        raise NotMeasurable(f"{type(self).__name__} cannot put a service in front of a pod")

    def round_trips(self, *, client: Endpoint, server: Endpoint, seconds: float = 2.0) -> RoundTrips:
        """Request/response latency (sockperf ping-pong over TCP) from `client` to `server`."""
        raise NotMeasurable(f"{type(self).__name__} cannot measure round trips: it has no pod image "
                            "with sockperf")

    def http_load(self, lb: LoadBalancer, spec: LoadSpec) -> HttpLoadResult:
        """locust (`harness/workloads/locustfile.py`) against the LB from outside the cluster.
        Here: every process on the workstation, workers beside their master on loopback (the
        harness starts no processes on a cluster's nodes or other LAN hosts). Load from pods
        would not do: with kube-proxy replacement, Cilium's socket LB turns a pod's connection
        to an LB IP into one to a backend on the pod's own node, so it never crosses the L2
        announcement under test."""
        return locust_run.run(url=lb.url, spec=spec)

    def link_twin(self, *, seconds: float = 3.0) -> Iperf3Result | None:
        """iperf3 across a path shaped like a healthy node link that no node, pod or defect
        shares: what the target can carry now, the twin a pair's goodput is judged against
        beside the link roofline. None where the links are real hardware (a cluster), whose
        ceiling is the roofline itself."""
        return None

    @contextmanager
    def policy_peers(self) -> Iterator[list[Peer]]:
        """The peers beside the pods this target can probe policies to and from, serving while
        the context lasts; none by default (a cluster's nodes and the outside world are not the
        harness's to run servers on)."""
        yield []

    def connect_from_peer(self, peer: Peer, destinations: Sequence[tuple[str, int, str]], *,
                          timeout_s: float = DENIED_AFTER_S) -> list[ProbeResult]:
        """As `connect`, from a peer of `policy_peers`."""
        raise TargetError(f"this target cannot probe from {peer.kind} {peer.name}")

    def standing_loadbalancer(self) -> LoadBalancer:
        """A LoadBalancer kept for the rest of the session (chaos scenarios aim at it); made on
        first use, removed when the target is released."""
        raise TargetError("this target keeps no standing load balancer")

    def connect_matrix(self, pods: Sequence[Pod], *, ports: Sequence[int],
                       protocols: Sequence[str] = ("TCP",), peers: Sequence[Peer] = (),
                       timeout_s: float = DENIED_AFTER_S) -> list[Connection]:
        """Every pod to every other pod and peer, and every peer to every pod, on every port and
        protocol, all sources and protocols at once: the matrix costs about one deny timeout,
        not one per source."""
        by_address = {**{p.address: p.ref for p in pods}, **{q.address: q.key for q in peers}}

        def cells(address: str) -> list[tuple[str, int, str]]:
            return [(address, port, protocol) for port in ports for protocol in protocols]

        def from_source(source: Pod | Peer) -> list[Connection]:
            if isinstance(source, Peer):
                results = self.connect_from_peer(
                    source, [c for p in pods for c in cells(p.address)], timeout_s=timeout_s)
                return [Connection.from_probe(source.key, by_address[r.address], r) for r in results]
            targets = [c for p in pods if p != source for c in cells(p.address)]
            targets += [c for q in peers for c in cells(q.address)]
            return [Connection.from_probe(source.ref, by_address[r.address], r)
                    for r in self.connect(source, targets, timeout_s=timeout_s)]

        sources: list[Pod | Peer] = [*pods, *peers]
        with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL_SOURCES, len(sources) or 1)) as pool:
            return [c for row in pool.map(from_source, sources) for c in row]
