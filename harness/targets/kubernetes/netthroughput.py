"""iperf3 and sockperf on the cluster: a server pod and a client Job, each pinned to its
endpoint's node (`run_pair`).

A node endpoint runs in the node's network (hostNetwork, bound to the node's address); a pod
endpoint runs as a tool pod beside it (same node, same namespace, the pod network): the agnhost
pods carry no tools. A pod behind a service (`service_of`: a ClusterIP Service whose selector the
server pod carries) is reached at the Service's address once the server is among the Service's
ready endpoints. The client's report comes back through the Job's logs. sockperf has no
maintained image: it runs only when the profile names one (`images.sockperf`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from harness.targets.base import TargetError
from harness.targets.kubernetes import manifests
from harness.targets.kubernetes import netmanifests as nm
from harness.targets.kubernetes.api import Obj
from harness.targets.kubernetes.errors import APINotFound
from harness.targets.kubernetes.workloads import JobOutcome
from harness.targets.network import Endpoint, NotMeasurable, Pod, ServiceOf
from harness.workloads import iperf3, sockperf

if TYPE_CHECKING:
    from harness.targets.kubernetes.network import KubernetesNetwork

ENDPOINT_READY_S = 30.0
"""For a ready server pod to become a Service's ready endpoint (the EndpointSlice controller)."""
JOB_SLACK_S = 60
"""Seconds a client Job may take beyond its test (image pull, scheduling)."""
SERVER_GRACE_S = 1
"""sockperf handles only SIGINT, and as a container's PID 1 it ignores SIGTERM: the kubelet
kills it after this."""
NO_SOCKPERF_IMAGE = (
    "round trips are not measured on a cluster without an image with sockperf: build one from "
    "tools/images/sockperf and set `images.sockperf` in the profile to it")
_serial = itertools.count(1)


@dataclass(frozen=True)
class Place:
    node: str
    namespace: str
    label: str
    host_network: bool
    bind: str | None


def place(network: KubernetesNetwork, endpoint: Endpoint, *, run_namespace: str) -> Place:
    if isinstance(endpoint, ServiceOf):
        return place(network, endpoint.pod, run_namespace=run_namespace)
    if isinstance(endpoint, Pod):
        return Place(endpoint.node, network.real_namespace(endpoint.namespace), endpoint.ref,
                     host_network=False, bind=None)
    try:
        address = str(network.profile.node(endpoint).address)
    except KeyError as error:
        raise TargetError(str(error.args[0])) from None
    return Place(endpoint, run_namespace, endpoint, host_network=True, bind=address)


class ServerBody(Protocol):
    def __call__(self, name: str, *, run_id: str, image: str, node: str, host_network: bool,
                 bind: str | None, serves: str | None = None) -> Obj: ...


@dataclass(frozen=True)
class Tool:
    """A client/server tool as `run_pair` starts it."""

    name: str
    image: str
    server: ServerBody
    client_argv: Callable[[str, Place], list[str]]
    """(the address the client connects to, where the client runs) -> the client's argv."""


def run_pair(network: KubernetesNetwork, tool: Tool, *, client: Endpoint, server: Endpoint,
             seconds: float) -> tuple[Place, Place, JobOutcome]:
    """The tool's server pod at `server`, once Ready (and a ready endpoint of the service in
    front of it) its client Job at `client`; both deleted on every path, the client's logs back."""
    run_namespace = manifests.namespace_name(network.run_id)
    src = place(network, client, run_namespace=run_namespace)
    dst = place(network, server, run_namespace=run_namespace)
    serial = next(_serial)
    workloads, api = network.workloads, network.api
    server_name = manifests.object_name(f"{tool.name}-server", dst.node, str(serial))
    client_name = manifests.object_name(f"{tool.name}-client", src.node, str(serial))
    service = server if isinstance(server, ServiceOf) else None
    body = tool.server(server_name, run_id=network.run_id, image=tool.image, node=dst.node,
                       host_network=dst.host_network, bind=dst.bind,
                       serves=service.name if service else None)
    workloads.start_pod(dst.namespace, body)
    try:
        found = workloads.wait_pod(dst.namespace, server_name)
        address = dst.bind or str((found.get("status") or {}).get("podIP") or "")
        if not address:
            raise TargetError(f"{tool.name} server {dst.namespace}/{server_name} has no IP")
        if service is not None:
            _wait_endpoint(network, dst.namespace, service, address)
            address = service.address
        job = nm.tool_client(client_name, tool=tool.name, run_id=network.run_id, image=tool.image,
                             node=src.node, host_network=src.host_network,
                             command=tool.client_argv(address, src),
                             deadline_s=int(seconds) + JOB_SLACK_S)
        try:
            outcome = workloads.run_job(src.namespace, job, timeout_s=seconds + JOB_SLACK_S + 10)
        finally:
            api.delete_job(src.namespace, client_name)
    finally:
        # A host-network server holds its node's port until its container stops (sockperf never
        # exits by itself): a graceful delete keeps the pod until the kubelet has stopped it.
        api.delete_pod(dst.namespace, server_name, grace_period_s=SERVER_GRACE_S if dst.host_network else 0)
    if dst.host_network:  # the next pair on that node binds the same port
        _wait_gone(network, dst.namespace, server_name)
    return src, dst, outcome


def run_iperf3(network: KubernetesNetwork, *, client: Endpoint, server: Endpoint, seconds: float,
               reverse: bool, streams: int = 1, udp_mbit: float | None = None) -> iperf3.Iperf3Result:
    def client_argv(address: str, src: Place) -> list[str]:
        return iperf3.client_argv(server=address, port=nm.IPERF3_PORT, seconds=seconds,
                                  reverse=reverse, bind=src.bind, streams=streams, udp_mbit=udp_mbit)

    tool = Tool("iperf3", network.profile.images.iperf3, nm.iperf3_server, client_argv)
    src, dst, outcome = run_pair(network, tool, client=client, server=server, seconds=seconds)
    if not outcome.succeeded and not outcome.logs.strip().startswith("{"):
        raise TargetError(f"iperf3 {src.label} -> {dst.label} failed ({outcome.reason}): "
                          f"{outcome.logs.strip()[-200:]}")
    try:
        return iperf3.parse(outcome.logs, client=src.label, server=dst.label)
    except iperf3.Iperf3Error as error:
        raise TargetError(str(error)) from error


def run_round_trips(network: KubernetesNetwork, *, client: Endpoint, server: Endpoint,
                    seconds: float) -> sockperf.RoundTrips:
    """sockperf ping-pong with the lab's argv; the client binds nothing: the route picks its
    address, as an application's would."""
    image = network.profile.images.sockperf
    if not image:
        raise NotMeasurable(NO_SOCKPERF_IMAGE)

    def client_argv(address: str, src: Place) -> list[str]:
        return sockperf.ping_pong_argv(server=address, port=nm.SOCKPERF_PORT, seconds=seconds)

    tool = Tool("sockperf", image, nm.sockperf_server, client_argv)
    src, dst, outcome = run_pair(network, tool, client=client, server=server, seconds=seconds)
    try:
        return sockperf.parse(outcome.logs, client=src.label, server=dst.label)
    except sockperf.SockperfError as error:
        failed = "" if outcome.succeeded else f" (its Job failed: {outcome.reason or 'no reason given'})"
        raise TargetError(f"{error}{failed}") from error


@contextmanager
def service_of(network: KubernetesNetwork, pod: Pod) -> Iterator[ServiceOf]:
    """A ClusterIP Service in the pod's namespace; its backends are the server pods that the
    runs against it start beside the pod. Deleted on every path."""
    namespace = network.real_namespace(pod.namespace)
    name = manifests.object_name("svc", pod.name, str(next(_serial)))
    made = network.api.create_service(namespace, nm.cluster_ip_service(name, run_id=network.run_id))
    try:
        address = str((made.get("spec") or {}).get("clusterIP") or "")
        if address in ("", "None"):
            raise TargetError(f"service {namespace}/{name} got no ClusterIP")
        yield ServiceOf(pod=pod, address=address, name=name)
    finally:
        network.api.delete_service(namespace, name)


def _wait_endpoint(network: KubernetesNetwork, namespace: str, service: ServiceOf, address: str) -> None:
    """Until the Service's EndpointSlices list `address` as ready: before that, the datapath
    has no backend to translate to and a connect is refused."""
    def check() -> tuple[bool, str]:
        slices = network.api.list_namespaced_objects(
            group="discovery.k8s.io", version="v1", plural="endpointslices", namespace=namespace,
            label_selector=f"kubernetes.io/service-name={service.name}")
        ready = [a for s in slices for e in s.get("endpoints") or []
                 if (e.get("conditions") or {}).get("ready") is not False for a in e.get("addresses") or []]
        return address in ready, f"ready endpoints {ready or 'none'}"

    network.workloads._poll(f"service {namespace}/{service.name}: {address} as a ready endpoint",
                            ENDPOINT_READY_S, check)


def _wait_gone(network: KubernetesNetwork, namespace: str, name: str) -> None:
    def check() -> tuple[bool, str]:
        try:
            network.api.read_pod(namespace, name)
        except APINotFound:
            return True, "gone"
        return False, "its kubelet has not stopped it"

    network.workloads._poll(f"server pod {namespace}/{name} gone (it holds its node's port)",
                            network.workloads.wait.pod_timeout_s, check)
