"""The objects the network capability creates on a cluster, as plain dicts (validated in tests:
core kinds with kubernetes-validate, Cilium kinds against the upstream CRD schemas).

Every pod serves `POD_PORTS` over TCP and UDP with agnhost netexec (one container per port, all
answering any HTTP path with the pod's name); iperf3 and sockperf run as a server pod plus a
client Job beside the endpoints they measure. Everything carries the harness labels for
`harness clean`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from ipaddress import IPv4Address

from harness.profile import Profile
from harness.targets.kubernetes import manifests
from harness.targets.network import POD_PORTS
from harness.workloads import sockperf

Obj = manifests.Obj
CILIUM = "cilium.io"
POOL_VERSION = "v2alpha1"
"""Served by Cilium 1.13 up to main (deprecated, still served, from 1.18 on): one version for all."""
L2_VERSION = "v2alpha1"
POLICY_VERSION = "v2"
LB_SELECTOR_LABEL = "harness/lb"
"""Label on the run's LoadBalancer services; a test pool and L2 policy select only those."""
IPERF3_PORT = 5201
SOCKPERF_PORT = sockperf.DEFAULT_PORT
SERVES_LABEL = "harness/serves"
"""On a tool's server pod: the name of the ClusterIP Service in front of it (`cluster_ip_service`)."""


def namespace(name: str, *, run_id: str, labels: Mapping[str, str]) -> Obj:
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": {**labels, **manifests.labels(run_id),
                                                  **manifests.POD_SECURITY}}}


def _netexec(name: str, image: str, port: int) -> Obj:
    return {
        "name": name,
        "image": image,
        "command": ["/agnhost", "netexec", f"--http-port={port}", f"--udp-port={port}",
                    "--http-override=/hostname"],
        "ports": [{"name": name, "containerPort": port, "protocol": "TCP"},
                  {"name": f"{name}-udp", "containerPort": port, "protocol": "UDP"}],
        "readinessProbe": {"tcpSocket": {"port": port}, "periodSeconds": 1},
        "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}},
    }


def server_pod(name: str, *, run_id: str, image: str, node: str, labels: Mapping[str, str],
               role: str = "netpod") -> Obj:
    """An agnhost pod on `node` serving every port of `POD_PORTS` (TCP + UDP), answering its name."""
    spec = manifests.pod_spec(image=image, command=["true"], node=node)
    spec["containers"] = [_netexec(port_name, image, port) for port_name, port in POD_PORTS.items()]
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "labels": {**labels, **manifests.labels(run_id, role)}},
            "spec": spec}


def lb_service(name: str, *, run_id: str, selector: Mapping[str, str], port: int) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "labels": {**manifests.labels(run_id, "lb"),
                                              LB_SELECTOR_LABEL: run_id}},
        "spec": {"type": "LoadBalancer", "selector": dict(selector),
                 "externalTrafficPolicy": "Cluster",
                 "ports": [{"name": "http", "port": port, "targetPort": 80, "protocol": "TCP"}]},
    }


def lb_pool(name: str, *, run_id: str, first: IPv4Address, last: IPv4Address) -> Obj:
    """A test CiliumLoadBalancerIPPool: the profile's addresses, for the run's services only."""
    return {
        "apiVersion": f"{CILIUM}/{POOL_VERSION}",
        "kind": "CiliumLoadBalancerIPPool",
        "metadata": {"name": name, "labels": manifests.labels(run_id, "lb-pool")},
        "spec": {"blocks": [{"start": str(first), "stop": str(last)}],
                 "serviceSelector": {"matchLabels": {LB_SELECTOR_LABEL: run_id}}},
    }


def l2_policy(name: str, *, run_id: str) -> Obj:
    """A test CiliumL2AnnouncementPolicy: announce the run's LB IPs from any node."""
    return {
        "apiVersion": f"{CILIUM}/{L2_VERSION}",
        "kind": "CiliumL2AnnouncementPolicy",
        "metadata": {"name": name, "labels": manifests.labels(run_id, "l2-policy")},
        "spec": {"serviceSelector": {"matchLabels": {LB_SELECTOR_LABEL: run_id}},
                 "loadBalancerIPs": True},
    }


def lease_name(namespace: str, service: str) -> str:
    """Cilium's L2 announcement lease, one per service, in Cilium's namespace."""
    return f"cilium-l2announce-{namespace}-{service}"


def lease_holder(lease: Obj, now: datetime) -> str | None:
    """Who holds a Lease at `now`: its holder while `renewTime + leaseDurationSeconds` lies ahead
    (a holder that stopped renewing holds nothing; compared with this machine's clock)."""
    spec = lease.get("spec") or {}
    holder, renewed = spec.get("holderIdentity"), spec.get("renewTime")
    if not holder:
        return None
    if renewed and spec.get("leaseDurationSeconds"):
        renewed_at = datetime.fromisoformat(str(renewed).replace("Z", "+00:00"))
        if renewed_at + timedelta(seconds=float(spec["leaseDurationSeconds"])) < now:
            return None
    return str(holder)


def cluster_ip_service(name: str, *, run_id: str) -> Obj:
    """A ClusterIP Service in front of the server pods labelled `SERVES_LABEL: name`, on every
    tool's port (iperf3 over TCP and UDP, sockperf over TCP): the pod -> service path."""
    ports = [("iperf3", IPERF3_PORT, "TCP"), ("iperf3-udp", IPERF3_PORT, "UDP"),
             ("sockperf", SOCKPERF_PORT, "TCP")]
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "labels": manifests.labels(run_id, "service")},
        "spec": {"type": "ClusterIP", "selector": {SERVES_LABEL: name},
                 "ports": [{"name": port_name, "port": port, "targetPort": port, "protocol": proto}
                           for port_name, port, proto in ports]},
    }


def tool_server(name: str, *, tool: str, run_id: str, image: str, node: str, host_network: bool,
                command: list[str], port: int, serves: str | None = None) -> Obj:
    """A tool's server pod on `node`, Ready once `port` accepts connections; with `serves`, a
    backend of that ClusterIP Service."""
    body = manifests.pod(name, run_id=run_id, image=image, command=command, node=node,
                         role=f"{tool}-server")
    if serves:
        body["metadata"]["labels"][SERVES_LABEL] = serves
    body["spec"]["containers"][0]["ports"] = [{"name": tool, "containerPort": port, "protocol": "TCP"}]
    body["spec"]["containers"][0]["readinessProbe"] = {"tcpSocket": {"port": port},
                                                       "periodSeconds": 1}
    if host_network:
        body["spec"]["hostNetwork"] = True
    return body


def iperf3_server(name: str, *, run_id: str, image: str, node: str, host_network: bool,
                  bind: str | None, serves: str | None = None) -> Obj:
    command = ["iperf3", "--server", "--one-off", "--port", str(IPERF3_PORT)]
    if bind:
        command += ["--bind", bind]
    return tool_server(name, tool="iperf3", run_id=run_id, image=image, node=node,
                       host_network=host_network, command=command, port=IPERF3_PORT, serves=serves)


def sockperf_server(name: str, *, run_id: str, image: str, node: str, host_network: bool,
                    bind: str | None, serves: str | None = None) -> Obj:
    """The lab's server command; in the pod network on every address (sockperf told no address
    listens on a multicast group). It serves until deleted."""
    command = sockperf.server_argv(bind=bind or "0.0.0.0", port=SOCKPERF_PORT)
    return tool_server(name, tool="sockperf", run_id=run_id, image=image, node=node,
                       host_network=host_network, command=command, port=SOCKPERF_PORT, serves=serves)


def tool_client(name: str, *, tool: str, run_id: str, image: str, node: str, host_network: bool,
                command: list[str], deadline_s: int) -> Obj:
    """A tool's client Job on `node`; its report comes back through the Job's logs."""
    body = manifests.job(name, run_id=run_id, image=image, command=command, node=node,
                         deadline_s=deadline_s, role=f"{tool}-client")
    if host_network:
        body["spec"]["template"]["spec"]["hostNetwork"] = True
    return body


CONNECT_SCRIPT = (
    'proto=$1; wait_for=$2; shift 2; '
    'for dst in "$@"; do '
    '( out=$(/agnhost connect --protocol="$proto" --timeout="$wait_for" "$dst" 2>&1); '
    'echo "$dst $? $out" ) & '
    'done; wait'
)
"""Exec'd in a source pod: every destination probed at once by `agnhost connect`, one line each:
`<addr:port> <exit code> <agnhost's message: TIMEOUT, REFUSED, OTHER: ...>`."""


def connect_command(protocol: str, timeout_s: float, destinations: list[str]) -> list[str]:
    return ["sh", "-c", CONNECT_SCRIPT, "connect", protocol.lower(), f"{timeout_s:g}s",
            *destinations]


def plan_objects(profile: Profile, *, run_id: str, run_namespace: str) -> list[tuple[Obj, str | None, str]]:
    """One of each object the network suites create, as (body, namespace, purpose), for the
    dry-run plan: a suite namespace with its pods, the LoadBalancer and its pool, iperf3, and
    sockperf when the profile names its image."""
    nodes = [n.name for n in profile.nodes]
    suite_ns = manifests.object_name(run_namespace, "lb-web")
    images = profile.images
    found: list[tuple[Obj, str | None, str]] = [
        (namespace(suite_ns, run_id=run_id, labels={}), None,
         "a suite namespace (one per namespace a test names)"),
        (server_pod("web-0", run_id=run_id, image=images.agnhost, node=nodes[0], labels={"app": "web"}),
         suite_ns, "agnhost pods: load-balancer backends, policy and connect probes"),
        (lb_service("web", run_id=run_id, selector={"app": "web"},
                    port=profile.kubernetes.lb_service_port), suite_ns, "the LoadBalancer Service"),
    ]
    addresses = profile.loadbalancer_pool.addresses()
    if profile.kubernetes.create_lb_pool and addresses:
        found += [(lb_pool(suite_ns, run_id=run_id, first=addresses[0], last=addresses[-1]), None,
                   "a test pool of the profile's addresses (kubernetes.create_lb_pool)"),
                  (l2_policy(suite_ns, run_id=run_id), None, "announce the run's LB addresses")]
    server = iperf3_server("iperf3-server", run_id=run_id, image=images.iperf3, node=nodes[-1],
                           host_network=True, bind=None)
    client = tool_client("iperf3-client", tool="iperf3", run_id=run_id, image=images.iperf3,
                         node=nodes[0], host_network=True,
                         command=["iperf3", "--client", "<server>", "--json"], deadline_s=30)
    found += [(server, run_namespace, "iperf3 server of a throughput pair"),
              (client, run_namespace, "iperf3 client Job of a throughput pair")]
    if images.sockperf:  # the node -> node path: the server listens on its node's address
        far = str(profile.nodes[-1].address)
        ping_pong = sockperf.ping_pong_argv(server=far, port=SOCKPERF_PORT)
        found += [
            (sockperf_server("sockperf-server", run_id=run_id, image=images.sockperf, node=nodes[-1],
                             host_network=True, bind=far), run_namespace,
             "sockperf server of a round-trip path (images.sockperf)"),
            (tool_client("sockperf-client", tool="sockperf", run_id=run_id, image=images.sockperf,
                         node=nodes[0], host_network=True, command=ping_pong, deadline_s=30),
             run_namespace, "sockperf ping-pong client Job of a round-trip path")]
    return [*found, (cluster_ip_service("netperf-service", run_id=run_id), suite_ns,
                     "a ClusterIP Service in front of a tool's server (the pod -> service path)")]
