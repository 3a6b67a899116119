"""iperf3 on the cluster: a server pod and a client Job, each pinned to its endpoint's node.

A node endpoint runs in the node's network (hostNetwork, bound to the node's address); a pod
endpoint runs as an iperf3 pod beside it (same node, same namespace, the pod network): the
agnhost pods carry no iperf3. A pod behind a service (`service_of`: a ClusterIP Service whose
selector the server pod carries) is reached at the Service's address once the server is among
the Service's ready endpoints. The client's JSON report comes back through the Job's logs.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from harness.targets.base import TargetError
from harness.targets.kubernetes import manifests
from harness.targets.kubernetes import netmanifests as nm
from harness.targets.network import Endpoint, Pod, ServiceOf
from harness.workloads import iperf3

if TYPE_CHECKING:
    from harness.targets.kubernetes.network import KubernetesNetwork

ENDPOINT_READY_S = 30.0
"""For a ready server pod to become a Service's ready endpoint (the EndpointSlice controller)."""
JOB_SLACK_S = 60
"""Seconds a client Job may take beyond its test (image pull, scheduling)."""
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


def run_iperf3(network: KubernetesNetwork, *, client: Endpoint, server: Endpoint, seconds: float,
               reverse: bool, streams: int = 1, udp_mbit: float | None = None) -> iperf3.Iperf3Result:
    run_namespace = manifests.namespace_name(network.run_id)
    src = place(network, client, run_namespace=run_namespace)
    dst = place(network, server, run_namespace=run_namespace)
    serial = next(_serial)
    images, workloads, api = network.profile.images, network.workloads, network.api
    server_name = manifests.object_name("iperf3-server", dst.node, str(serial))
    client_name = manifests.object_name("iperf3-client", src.node, str(serial))
    service = server if isinstance(server, ServiceOf) else None
    body = nm.iperf3_server(server_name, run_id=network.run_id, image=images.iperf3, node=dst.node,
                            host_network=dst.host_network, bind=dst.bind,
                            serves=service.name if service else None)
    workloads.start_pod(dst.namespace, body)
    try:
        found = workloads.wait_pod(dst.namespace, server_name)
        address = dst.bind or str((found.get("status") or {}).get("podIP") or "")
        if not address:
            raise TargetError(f"iperf3 server {dst.namespace}/{server_name} has no IP")
        if service is not None:
            _wait_endpoint(network, dst.namespace, service, address)
            address = service.address
        command = iperf3.client_argv(server=address, port=nm.IPERF3_PORT, seconds=seconds,
                                     reverse=reverse, bind=src.bind, streams=streams, udp_mbit=udp_mbit)
        job = nm.iperf3_client(client_name, run_id=network.run_id, image=images.iperf3,
                               node=src.node, host_network=src.host_network, command=command,
                               deadline_s=int(seconds) + JOB_SLACK_S)
        try:
            outcome = workloads.run_job(src.namespace, job, timeout_s=seconds + JOB_SLACK_S + 10)
        finally:
            api.delete_job(src.namespace, client_name)
    finally:
        api.delete_pod(dst.namespace, server_name)
    if not outcome.succeeded and not outcome.logs.strip().startswith("{"):
        raise TargetError(f"iperf3 {src.label} -> {dst.label} failed ({outcome.reason}): "
                          f"{outcome.logs.strip()[-200:]}")
    try:
        return iperf3.parse(outcome.logs, client=src.label, server=dst.label)
    except iperf3.Iperf3Error as error:
        raise TargetError(str(error)) from error


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
