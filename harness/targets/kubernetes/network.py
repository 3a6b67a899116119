"""`KubernetesNetwork`: the Network capability on a real cluster (Cilium LB-IPAM + L2
announcements, agnhost pods pinned to nodes, policies in the run's namespaces, iperf3 and
sockperf pods).

Suites name namespaces `x`, `lb-web`, ...; on the cluster each is `<run namespace>-<name>`, so
runs never collide, and policy documents are rewritten to match (their `metadata.namespace` and
namespace-name selectors). `Pod.namespace` stays the suite's name.
"""

from __future__ import annotations

import copy
import itertools
import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from datetime import UTC, datetime
from typing import Any

from harness.profile import Profile
from harness.targets.base import TargetError
from harness.targets.kubernetes import manifests, netthroughput
from harness.targets.kubernetes import netmanifests as nm
from harness.targets.kubernetes.api import KubeAPI, Obj
from harness.targets.kubernetes.errors import APINotFound
from harness.targets.kubernetes.netthroughput import run_iperf3, run_round_trips
from harness.targets.kubernetes.workloads import Workloads
from harness.targets.network import Endpoint, LoadBalancer, Network, Pod, PodSpec, ServiceOf
from harness.workloads import iperf3, sockperf
from harness.workloads.connect import DENIED_AFTER_S, Outcome, ProbeResult

log = logging.getLogger("harness.kubernetes.network")

LB_READY_S = 60.0
"""LB-IPAM assigns in about a second; the lease follows within one lease renewal."""
MAX_PROBES_PER_EXEC = 64
NAMESPACE_KEYS = ("kubernetes.io/metadata.name", "io.kubernetes.pod.namespace",
                  "k8s:io.kubernetes.pod.namespace")
POLICY_KINDS = {"CiliumNetworkPolicy": "ciliumnetworkpolicies",
                "CiliumClusterwideNetworkPolicy": "ciliumclusterwidenetworkpolicies"}


class KubernetesNetwork(Network):
    policy_propagation_s = 15.0  # Cilium regenerates endpoints in well under that

    def __init__(self, *, api: Callable[[], KubeAPI], workloads: Workloads, profile: Profile,
                 run_id: Callable[[], str]) -> None:
        self._api = api
        self.workloads = workloads
        self.profile = profile
        self._run_id = run_id
        self._real: dict[str, str] = {}  # suite namespace -> cluster namespace, while in use
        self._applied: list[tuple[str, str, str]] = []  # (kind, cluster namespace, name)
        self._services: dict[str, tuple[str, str]] = {}  # LB name -> (cluster namespace, service)
        self._serial = itertools.count(1)
        self._standing: LoadBalancer | None = None
        self._standing_stack = ExitStack()

    @property
    def api(self) -> KubeAPI:
        return self._api()

    @property
    def run_id(self) -> str:
        return self._run_id()

    def real_namespace(self, namespace: str) -> str:
        return manifests.object_name(manifests.namespace_name(self.run_id), namespace)

    # --- pods --------------------------------------------------------------------------------
    @contextmanager
    def pods(self, specs: Sequence[PodSpec], *,
             namespace_labels: Mapping[str, Mapping[str, str]] | None = None) -> Iterator[list[Pod]]:
        wanted = list(dict.fromkeys(spec.namespace for spec in specs))
        made: list[str] = []
        try:
            for namespace in wanted:
                real = self.real_namespace(namespace)
                labels = dict((namespace_labels or {}).get(namespace, {}))
                # Noted before the call, as the run's own namespace is: a Ctrl-C mid-create.
                made.append(namespace)
                self._real[namespace] = real
                self.api.create_namespace(nm.namespace(real, run_id=self.run_id, labels=labels))
            image = self.profile.images.agnhost
            for spec in specs:
                body = nm.server_pod(spec.name, run_id=self.run_id, image=image, node=spec.node,
                                     labels=spec.labels)
                self.workloads.start_pod(self._real[spec.namespace], body)
            pods = []
            for spec in specs:
                found = self.workloads.wait_pod(self._real[spec.namespace], spec.name)
                address = str((found.get("status") or {}).get("podIP") or "")
                if not address:
                    raise TargetError(f"pod {spec.namespace}/{spec.name} is ready but has no IP")
                pods.append(Pod(name=spec.name, namespace=spec.namespace, node=spec.node,
                                address=address, labels=dict(spec.labels)))
            yield pods
        finally:
            self._remove_policies(namespaces={self._real[n] for n in made})
            for namespace in made:
                self.api.delete_namespace(self._real.pop(namespace))

    # --- policies ------------------------------------------------------------------------------
    def cluster_documents(self, documents: Sequence[Mapping[str, Any]]) -> list[Obj]:
        """The documents as they go to the cluster: namespaces mapped, names and labels ours."""
        found = []
        for document in documents:
            doc: Obj = self._map_namespaces(copy.deepcopy(dict(document)))
            meta = doc.setdefault("metadata", {})
            meta["labels"] = {**(meta.get("labels") or {}), **manifests.labels(self.run_id, "policy")}
            if doc.get("kind") == "CiliumClusterwideNetworkPolicy":
                meta["name"] = manifests.object_name(manifests.namespace_name(self.run_id), meta["name"])
            elif "namespace" in meta:
                meta["namespace"] = self._cluster_namespace(str(meta["namespace"]))
            found.append(doc)
        return found

    def _cluster_namespace(self, namespace: str) -> str:
        if namespace not in self._real:
            raise TargetError(f"policy for namespace {namespace!r}, which no live pods() created")
        return self._real[namespace]

    def _map_namespaces(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self._map_namespaces(item) for item in value]
        if not isinstance(value, dict):
            return value
        mapped = {key: self._map_namespaces(item) for key, item in value.items()}
        if isinstance(mapped.get("matchLabels"), dict):
            mapped["matchLabels"] = {k: self._real.get(v, v) if k in NAMESPACE_KEYS else v
                                     for k, v in mapped["matchLabels"].items()}
        for expression in mapped.get("matchExpressions") or []:
            if expression.get("key") in NAMESPACE_KEYS and expression.get("values"):
                expression["values"] = [self._real.get(v, v) for v in expression["values"]]
        return mapped

    def apply_policies(self, documents: Sequence[Mapping[str, Any]]) -> None:
        self._remove_policies()
        for doc in self.cluster_documents(documents):
            kind, meta = str(doc.get("kind")), doc["metadata"]
            namespace = str(meta.get("namespace", ""))
            if kind == "NetworkPolicy":
                self.api.create_network_policy(namespace, doc)
            elif kind in POLICY_KINDS:
                self.api.create_custom_object(group=nm.CILIUM, version=nm.POLICY_VERSION,
                                              plural=POLICY_KINDS[kind], body=doc, namespace=namespace)
            else:
                raise TargetError(f"cannot apply a {kind}: not a network policy kind")
            self._applied.append((kind, namespace, str(meta["name"])))

    def _remove_policies(self, namespaces: set[str] | None = None) -> None:
        """Remove the applied policies (only those in `namespaces`, cluster-wide ones always)."""
        keep = []
        for kind, namespace, name in self._applied:
            if namespaces is not None and namespace and namespace not in namespaces:
                keep.append((kind, namespace, name))
            elif kind == "NetworkPolicy":
                self.api.delete_network_policy(namespace, name)
            elif namespace:
                self.api.delete_namespaced_object(group=nm.CILIUM, version=nm.POLICY_VERSION,
                                                  plural=POLICY_KINDS[kind], namespace=namespace,
                                                  name=name)
            else:
                self.api.delete_cluster_object(group=nm.CILIUM, version=nm.POLICY_VERSION,
                                               plural=POLICY_KINDS[kind], name=name)
        self._applied = keep

    # --- connect probes ------------------------------------------------------------------------
    def connect(self, source: Pod, destinations: Sequence[tuple[str, int, str]], *,
                timeout_s: float = DENIED_AFTER_S) -> list[ProbeResult]:
        answers: dict[tuple[str, int, str], ProbeResult] = {}
        by_protocol: dict[str, list[tuple[str, int, str]]] = {}
        for destination in destinations:
            by_protocol.setdefault(destination[2].upper(), []).append(destination)
        for protocol, group in by_protocol.items():
            for start in range(0, len(group), MAX_PROBES_PER_EXEC):
                chunk = group[start:start + MAX_PROBES_PER_EXEC]
                answers.update(self._probe(source, protocol, chunk, timeout_s))
        return [answers[(a, p, proto.upper())] for a, p, proto in destinations]

    def _probe(self, source: Pod, protocol: str, chunk: list[tuple[str, int, str]],
               timeout_s: float) -> dict[tuple[str, int, str], ProbeResult]:
        command = nm.connect_command(protocol, timeout_s, [f"{a}:{p}" for a, p, _ in chunk])
        began = time.monotonic()
        done = self.workloads.exec(self._cluster_namespace(source.namespace), source.name, command,
                                   container=next(iter(source.ports)), timeout_s=timeout_s * 4 + 20)
        seconds = time.monotonic() - began
        lines = {}
        for line in done.stdout.splitlines():
            target, _, rest = line.partition(" ")
            code, _, message = rest.partition(" ")
            lines[target] = (code, message.strip())
        found = {}
        for address, port, _ in chunk:
            code, message = lines.get(f"{address}:{port}", ("", "no answer from the probe script"))
            outcome: Outcome = ("open" if code == "0" else "timeout" if message.startswith("TIMEOUT")
                       else "refused" if message.startswith("REFUSED") else "error")
            found[(address, port, protocol)] = ProbeResult(
                address, port, protocol, outcome, seconds, "" if outcome != "error" else message[:120])
        return found

    # --- load balancers ------------------------------------------------------------------------
    @contextmanager
    def loadbalancer(self, *, backends: int = 3, name: str = "web") -> Iterator[LoadBalancer]:
        nodes = [n.name for n in self.profile.nodes]
        namespace = f"lb-{name}"
        specs = [PodSpec(name=f"{name}-{i}", namespace=namespace, node=nodes[i % len(nodes)],
                         labels={"app": name}) for i in range(backends)]
        with ExitStack() as stack:
            backend_pods = stack.enter_context(self.pods(specs))
            real = self._real[namespace]
            if self.profile.kubernetes.create_lb_pool:
                self._create_test_pool(stack, real)
            port = self.profile.kubernetes.lb_service_port
            self.api.create_service(real, nm.lb_service(name, run_id=self.run_id,
                                                        selector={"app": name}, port=port))
            self._services[name] = (real, name)
            stack.callback(self._services.pop, name, None)
            balancer = LoadBalancer(name=name, ip=self._wait_ingress(real, name), port=port,
                                    backends=tuple(backend_pods))
            self._wait_announced(balancer)
            yield balancer

    def _create_test_pool(self, stack: ExitStack, real_namespace: str) -> None:
        addresses = self.profile.loadbalancer_pool.addresses()
        if not addresses:
            raise TargetError("the profile's loadbalancer_pool has no addresses for a test pool")
        pool = nm.lb_pool(real_namespace, run_id=self.run_id, first=addresses[0], last=addresses[-1])
        policy = nm.l2_policy(real_namespace, run_id=self.run_id)
        for body, version, plural in ((pool, nm.POOL_VERSION, "ciliumloadbalancerippools"),
                                      (policy, nm.L2_VERSION, "ciliuml2announcementpolicies")):
            self.api.create_custom_object(group=nm.CILIUM, version=version, plural=plural, body=body)
            stack.callback(self.api.delete_cluster_object, group=nm.CILIUM, version=version,
                           plural=plural, name=body["metadata"]["name"])

    def _wait_ingress(self, namespace: str, service: str) -> str:
        deadline = time.monotonic() + LB_READY_S
        while time.monotonic() < deadline:
            found = self.api.read_service(namespace, service)
            ingress = ((found.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
            if ingress and ingress[0].get("ip"):
                return str(ingress[0]["ip"])
            time.sleep(self.workloads.wait.poll_interval_s)
        raise TargetError(f"service {namespace}/{service} got no LoadBalancer IP within {LB_READY_S:g} s")

    def _wait_announced(self, balancer: LoadBalancer) -> None:
        deadline = time.monotonic() + LB_READY_S
        while not self.announcers(balancer):
            if time.monotonic() > deadline:
                raise TargetError(f"nobody announced {balancer.ip} within {LB_READY_S:g} s")
            time.sleep(self.workloads.wait.poll_interval_s)

    def announcers(self, lb: LoadBalancer) -> list[str]:
        """The holder of Cilium's lease for the service while it renews it: one lease, so at
        most one announcer."""
        namespace, service = self._services.get(lb.name, ("", lb.name))
        try:
            lease = self.api.read_lease(self.profile.kubernetes.cilium_namespace,
                                        nm.lease_name(namespace, service))
        except APINotFound:
            return []
        holder = nm.lease_holder(lease, datetime.now(UTC))
        return [holder] if holder else []

    def announcer(self, lb: LoadBalancer) -> str | None:
        found = self.announcers(lb)
        return found[0] if found else None

    def standing_loadbalancer(self) -> LoadBalancer:
        if self._standing is None:
            self._standing = self._standing_stack.enter_context(self.loadbalancer(name="chaos"))
        return self._standing

    def close(self) -> None:
        """Remove the standing load balancer (the target calls this before deleting its namespace)."""
        self._standing = None
        self._standing_stack.close()

    # --- throughput ----------------------------------------------------------------------------
    def service_of(self, pod: Pod) -> AbstractContextManager[ServiceOf]:
        return netthroughput.service_of(self, pod)

    def iperf3(self, *, client: Endpoint, server: Endpoint, seconds: float = 3.0,
               reverse: bool = False, streams: int = 1, udp_mbit: float | None = None) -> iperf3.Iperf3Result:
        return run_iperf3(self, client=client, server=server, seconds=seconds, reverse=reverse,
                          streams=streams, udp_mbit=udp_mbit)

    def round_trips(self, *, client: Endpoint, server: Endpoint, seconds: float = 2.0) -> sockperf.RoundTrips:
        """sockperf ping-pong in pods of `images.sockperf`; NotMeasurable while the profile has none."""
        return run_round_trips(self, client=client, server=server, seconds=seconds)
