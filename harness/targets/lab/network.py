"""`LabNetwork`: the Network capability on the lab (pods as namespaces, keepalived + nftables LB,
policies compiled to nftables, iperf3 between namespaces)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

from harness.profile import Profile
from harness.targets.base import EventLog, TargetError
from harness.targets.lab import (
    client_server,
    lb,
    net,
    pods,
    policy_enforcer,
    policy_peers,
    services,
    twin_path,
)
from harness.targets.lab.config import LabPlan
from harness.targets.lab.load_host import load_generator
from harness.targets.lab.probe_agents import ProbeAgents
from harness.targets.network import Endpoint, LoadBalancer, Network, Peer, Pod, PodSpec, ServiceOf
from harness.workloads import iperf3, locust_run, sockperf
from harness.workloads.connect import DENIED_AFTER_S, ProbeResult
from harness.workloads.http_load import HttpLoadResult, LoadSpec
from harness.workloads.iperf3 import Iperf3Result
from harness.workloads.sockperf import RoundTrips

LB_READY_S = 15.0
SETTLE_S = 1.5
"""VRRP: master-down 3 x 1 s advert plus up to 0.6 s of priority skew between the nodes."""
IPERF3_PORTS = range(5201, 5300)


@dataclass(frozen=True)
class _Place:
    netns: str
    address: str
    """Where the tool binds."""
    label: str
    reach: str | None = None
    """Where a client connects, when not `address` (a service address in front of a pod)."""

    @property
    def connect_to(self) -> str:
        return self.reach or self.address


class LabNetwork(Network):
    def __init__(self, *, plan: LabPlan, profile: Profile, events: EventLog) -> None:
        self.plan = plan
        self.profile = profile
        self.events = events
        self.defects = {d.split(":")[0] for d in profile.lab.defects}
        self._iperf3_port = iter(IPERF3_PORTS)
        self._port_lock = threading.Lock()
        self._standing: LoadBalancer | None = None
        self._standing_stack = ExitStack()
        self._agents = ProbeAgents()

    # --- pods and policies -----------------------------------------------------------------
    @contextmanager
    def pods(self, specs: Sequence[PodSpec], *,
             namespace_labels: Mapping[str, Mapping[str, str]] | None = None) -> Iterator[list[Pod]]:
        for node in self.plan.nodes:
            pods.converge_node(self.plan, node)
        labels = pods.load_namespace_labels(self.plan)
        for spec in specs:
            labels.setdefault(spec.namespace, {"kubernetes.io/metadata.name": spec.namespace})
        for namespace, extra in (namespace_labels or {}).items():
            labels[namespace] = {"kubernetes.io/metadata.name": namespace, **extra}
        pods.save_namespace_labels(self.plan, labels)
        made: list[Pod] = []
        try:
            for spec in specs:
                taken = [p.address for p in pods.load_pods(self.plan)]
                made.append(pods.create_pod(self.plan, spec, taken=taken))
            self._wait_serving(made)
            yield made
        finally:
            self._agents.close(pods.netns_name(self.plan, p) for p in made)
            policy_enforcer.clear(self.plan, made)
            pods.remove_pods(self.plan, made)

    def _wait_serving(self, made: list[Pod]) -> None:
        """Each pod's server listens on its first port."""
        entries = [(p.ref, pods.netns_name(self.plan, p), next(iter(p.ports.values()))) for p in made]
        net.wait_listening(entries, what="pods")

    def apply_policies(self, documents: Sequence[Mapping[str, Any]]) -> None:
        if "no-policy-enforcement" in self.defects:
            documents = []  # accepted and ignored, as by a CNI that enforces nothing
        policy_enforcer.enforce(self.plan, pods.load_pods(self.plan),
                                pods.load_namespace_labels(self.plan), documents,
                                egress="egress-ignored" not in self.defects,
                                always="policy-enforcement-always" in self.defects)

    def connect(self, source: Pod, destinations: Sequence[tuple[str, int, str]], *,
                timeout_s: float = DENIED_AFTER_S) -> list[ProbeResult]:
        return self._connect(pods.netns_name(self.plan, source), source.ref, destinations, timeout_s)

    @contextmanager
    def policy_peers(self) -> Iterator[list[Peer]]:
        with policy_peers.serving(self.plan) as peers:
            try:
                yield peers
            finally:  # the world host's namespace goes with the peers
                self._agents.close([policy_peers.world_node(self.plan).name, *(q.name for q in peers)])

    def connect_from_peer(self, peer: Peer, destinations: Sequence[tuple[str, int, str]], *,
                          timeout_s: float = DENIED_AFTER_S) -> list[ProbeResult]:
        netns = policy_peers.world_node(self.plan).name if peer.kind == "world" else peer.name
        return self._connect(netns, peer.key, destinations, timeout_s)

    def _connect(self, netns: str, label: str, destinations: Sequence[tuple[str, int, str]],
                 timeout_s: float) -> list[ProbeResult]:
        request = {"timeout_s": timeout_s,
                   "probes": [{"address": a, "port": p, "protocol": proto} for a, p, proto in destinations]}
        try:
            rows = self._agents.ask(netns, request, within_s=timeout_s * 4 + 20)
        except TargetError as error:
            raise TargetError(f"connect probes from {label}: {error}") from None
        return [ProbeResult(**row) for row in rows]

    def close_agents(self) -> None:
        """Stop every probe agent (the target's release, or before namespaces go)."""
        self._agents.close()

    # --- load balancers --------------------------------------------------------------------
    @contextmanager
    def loadbalancer(self, *, backends: int = 3, name: str = "web") -> Iterator[LoadBalancer]:
        nodes = [n.name for n in self.plan.nodes]
        specs = [PodSpec(name=f"{name}-{i}", namespace=f"lb-{name}", node=nodes[i % len(nodes)],
                         labels={"app": name}) for i in range(backends)]
        pool = [str(a) for a in self.profile.loadbalancer_pool.addresses()]
        with self.pods(specs) as backend_pods:
            service = lb.plan_service(self.plan, name=name, pool=pool, backends=backend_pods,
                                      defects=self.defects)
            try:
                lb.start_service(self.plan, service)
                balancer = LoadBalancer(name=name, ip=service.ip, port=service.port,
                                        backends=tuple(backend_pods))
                self._wait_announced(balancer)
                yield balancer
            finally:
                lb.stop_service(self.plan, service)

    def http_load(self, lb_: LoadBalancer, spec: LoadSpec) -> HttpLoadResult:
        """One process on the workstation, or the master there and the workers on the lab's load
        host beside the nodes (`load_host`: why there), made for the run and removed after it."""
        if not spec.workers:
            return locust_run.run(url=lb_.url, spec=spec)
        with load_generator(self.plan) as host:
            placement = locust_run.Placement(master_host=self.plan.workstation,
                                             worker_prefix=("ip", "netns", "exec", host.name),
                                             where=host.name)
            return locust_run.run(url=lb_.url, spec=spec, placement=placement)

    def standing_loadbalancer(self) -> LoadBalancer:
        if self._standing is None:
            # Kept open until the lab goes down: `down` removes its pods and service.
            self._standing = self._standing_stack.enter_context(self.loadbalancer(name="chaos"))
        return self._standing

    def _wait_announced(self, balancer: LoadBalancer) -> None:
        """Until someone announces the address and who does has not changed for `SETTLE_S`:
        the other nodes' VRRP timers run out up to 0.6 s after the first's, and a second node
        claiming the address (a split) must be there to be seen when the checks look."""
        deadline = time.monotonic() + LB_READY_S
        seen: list[str] = []
        since = time.monotonic()
        while time.monotonic() < deadline:
            found = self.announcers(balancer)
            if found != seen:
                seen, since = found, time.monotonic()
            elif found and time.monotonic() - since >= SETTLE_S:
                return
            time.sleep(0.1)
        if seen:
            return  # announced, still changing: the checks will say what they see
        raise TargetError(f"nobody announced {balancer.ip} within {LB_READY_S:g} s")

    def announcers(self, lb_: LoadBalancer) -> list[str]:
        return lb.holders(self.plan, lb_.ip)

    def announcer(self, lb_: LoadBalancer) -> str | None:
        return lb.serving_holder(self.plan, lb_.ip)

    def restore(self) -> None:
        """Put back announcers and routes a power cycle took (a node's processes and addresses)."""
        for node in self.plan.nodes:
            if net.link_is_up(node):
                pods.converge_node(self.plan, node)
        for service in lb.load_services(self.plan):
            lb.converge_service(self.plan, service)

    # --- throughput ------------------------------------------------------------------------
    def _place(self, endpoint: Endpoint) -> _Place:
        if isinstance(endpoint, ServiceOf):
            pod = endpoint.pod
            return _Place(pods.netns_name(self.plan, pod), pod.address, f"{pod.ref} via {endpoint.address}",
                          reach=endpoint.address)
        if isinstance(endpoint, Pod):
            return _Place(pods.netns_name(self.plan, endpoint), endpoint.address, endpoint.ref)
        try:
            node = self.plan.node(endpoint)
        except KeyError as error:
            raise TargetError(str(error.args[0])) from None
        return _Place(node.name, node.address, node.name)

    def _next_port(self) -> int:
        with self._port_lock:  # pairs of a round run from threads at once
            try:
                return next(self._iperf3_port)
            except StopIteration:
                self._iperf3_port = iter(IPERF3_PORTS)
                return next(self._iperf3_port)

    def iperf3(self, *, client: Endpoint, server: Endpoint, seconds: float = 3.0,
               reverse: bool = False, streams: int = 1, udp_mbit: float | None = None) -> Iperf3Result:
        return self._iperf3(self._place(client), self._place(server), seconds=seconds, reverse=reverse,
                            streams=streams, udp_mbit=udp_mbit)

    def round_trips(self, *, client: Endpoint, server: Endpoint, seconds: float = 2.0) -> RoundTrips:
        """sockperf ping-pong; the client binds nothing: the route picks its address, as an
        application's would."""
        src, dst, port = self._place(client), self._place(server), self._next_port()
        done = client_server.run_against_server(
            tool="sockperf", server=(dst.netns, dst.label), port=port,
            server_argv=sockperf.server_argv(bind=dst.address, port=port), client=(src.netns, src.label),
            client_argv=sockperf.ping_pong_argv(server=dst.connect_to, port=port, seconds=seconds),
            seconds=seconds)
        try:
            return sockperf.parse(done.stdout + done.stderr, client=src.label, server=dst.label)
        except sockperf.SockperfError as error:
            raise TargetError(str(error)) from error

    def service_of(self, pod: Pod) -> AbstractContextManager[ServiceOf]:
        return services.service_of(self.plan, pod)

    def link_twin(self, *, seconds: float = 3.0) -> Iperf3Result:
        """iperf3 across the twin path (`twin_path`): what this machine emulates a link at now."""
        ends = twin_path.ensure(self.plan, self.profile.switch.link_mbit)
        (a, b) = ends
        return self._iperf3(_Place(a.name, a.address, "twin-a"), _Place(b.name, b.address, "twin-b"),
                            seconds=seconds, reverse=False)

    def _iperf3(self, src: _Place, dst: _Place, *, seconds: float, reverse: bool, streams: int = 1,
                udp_mbit: float | None = None) -> Iperf3Result:
        port = self._next_port()
        done = client_server.run_against_server(
            tool="iperf3", server=(dst.netns, dst.label), port=port,
            server_argv=iperf3.server_argv(bind=dst.address, port=port), client=(src.netns, src.label),
            client_argv=iperf3.client_argv(server=dst.connect_to, port=port, seconds=seconds, reverse=reverse,
                                           bind=src.address, streams=streams, udp_mbit=udp_mbit),
            seconds=seconds)
        try:
            return iperf3.parse(done.stdout, client=src.label, server=dst.label)
        except iperf3.Iperf3Error as error:
            raise TargetError(str(error)) from error
