"""LoadBalancer Services on the Kubernetes lab: Cilium's LB-IPAM and L2-announcement leases,
played by one controller beside the lab, over the real API.

On Cilium the operator gives a `LoadBalancer` Service an address from a
`CiliumLoadBalancerIPPool` whose `serviceSelector` matches it, and the agents of the nodes a
`CiliumL2AnnouncementPolicy` selects elect one announcer per service: the holder of Lease
`kube-system/cilium-l2announce-<namespace>-<service>`. Here the controller assigns the address
(`status.loadBalancer.ingress`), the lab's own announcer (keepalived VRRP on the policy's nodes,
`lb.py`) announces it, and the controller keeps that Lease naming the node that holds the address,
renewed every `RENEW_S` while it does. So the kubernetes target finds the announcer the way it
would on Cilium, and the lab's ground truth (which node has the address) is what it is tested
against. It runs on the workstation side, so powering a node off never takes it down; it exits
by itself once the lab's state directory is gone.
"""

from __future__ import annotations

import signal
import sys
import time
from datetime import UTC, datetime
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from harness.netpol.errors import Problems
from harness.netpol.selectors import parse_selector
from harness.targets.kubernetes.netmanifests import lease_name
from harness.targets.lab import labs_here, lb, procs
from harness.targets.lab.config import LabPlan

if TYPE_CHECKING:
    from harness.targets.lab.lifecycle import Lab

CILIUM = "cilium.io"
LEASE_NAMESPACE = "kube-system"
LEASE_DURATION_S = 15  # Cilium's defaults: --l2-announcements-lease-duration 15s,
RENEW_S = 2.0  # --l2-announcements-retry-period 2s
POLL_S = 0.5
CILIUM_CLASS = "io.cilium/l2-announcer"
SERVICE = "lb-controller"


def selects(selector: Any, labels: dict[str, str]) -> bool:
    """Cilium's reading: a missing selector selects everything."""
    if selector is None:
        return True
    problems = Problems()
    parsed = parse_selector(selector, "selector", problems)
    return not problems.items and parsed.matches(labels)


def pool_addresses(pool: dict[str, Any]) -> list[str]:
    """A pool's usable addresses, in order: `start`-`stop` blocks whole, CIDR blocks without
    their network and broadcast address unless `allowFirstLastIPs: "Yes"` (or /31, /32)."""
    spec = pool.get("spec") or {}
    if spec.get("disabled"):
        return []
    found: list[str] = []
    for block in spec.get("blocks") or spec.get("cidrs") or []:
        if block.get("cidr"):
            network = IPv4Network(block["cidr"], strict=False)
            whole = network.prefixlen >= 31 or spec.get("allowFirstLastIPs") == "Yes"
            found += [str(a) for a in (network if whole else network.hosts())]
        elif block.get("start"):
            first, last = IPv4Address(block["start"]), IPv4Address(block.get("stop") or block["start"])
            found += [str(IPv4Address(i)) for i in range(int(first), int(last) + 1)]
    return found


def ingress_ip(service: Any) -> str | None:
    ingress = (service.status.load_balancer.ingress if service.status and service.status.load_balancer
               else None) or []
    return str(ingress[0].ip) if ingress and ingress[0].ip else None


class Controller:
    """One reconcile pass per `POLL_S`: addresses, announcers, leases."""

    def __init__(self, plan: LabPlan, api_client: Any) -> None:
        from kubernetes import client as k8s

        self.plan = plan
        self.core = k8s.CoreV1Api(api_client)
        self.custom = k8s.CustomObjectsApi(api_client)
        self.discovery = k8s.DiscoveryV1Api(api_client)
        self.leases = k8s.CoordinationV1Api(api_client)
        self.announced: dict[tuple[str, str], lb.LbService] = {}
        self.holder: dict[tuple[str, str], str] = {}
        self.renewed: dict[tuple[str, str], float] = {}

    def _list(self, plural: str) -> list[dict[str, Any]]:
        items = self.custom.list_cluster_custom_object(CILIUM, "v2alpha1", plural)["items"]
        return list(items)

    def reconcile(self) -> None:
        services = [s for s in self.core.list_service_for_all_namespaces().items
                    if s.spec.type == "LoadBalancer"
                    and s.spec.load_balancer_class in (None, CILIUM_CLASS)]
        pools, policies = self._list("ciliumloadbalancerippools"), self._list("ciliuml2announcementpolicies")
        node_labels = {n.metadata.name: dict(n.metadata.labels or {}) for n in self.core.list_node().items}
        taken = {ip for s in services if (ip := ingress_ip(s))}
        live = set()
        for service in services:
            key = (service.metadata.namespace, service.metadata.name)
            labels = dict(service.metadata.labels or {})
            ip = ingress_ip(service) or self._assign(service, labels, pools, taken)
            if ip is None:
                continue
            taken.add(ip)
            nodes = [name for policy in policies if (policy.get("spec") or {}).get("loadBalancerIPs")
                     and selects((policy.get("spec") or {}).get("serviceSelector"), labels)
                     for name, node in node_labels.items()
                     if selects((policy.get("spec") or {}).get("nodeSelector"), node)]
            if nodes:
                live.add(key)
                if key not in self.announced:
                    self._announce(key, service, ip, sorted(set(nodes)))
        for key in [k for k in self.announced if k not in live]:
            self._withdraw(key)
        for key in self.announced:
            self._renew(key)

    def _assign(self, service: Any, labels: dict[str, str], pools: list[dict[str, Any]],
                taken: set[str]) -> str | None:
        for pool in sorted(pools, key=lambda p: str(p["metadata"]["name"])):
            if not selects((pool.get("spec") or {}).get("serviceSelector"), labels):
                continue
            free = next((a for a in pool_addresses(pool) if a not in taken), None)
            if free is not None:
                self.core.patch_namespaced_service_status(
                    service.metadata.name, service.metadata.namespace,
                    {"status": {"loadBalancer": {"ingress": [{"ip": free}]}}})
                return free
        return None

    def _announce(self, key: tuple[str, str], service: Any, ip: str, nodes: list[str]) -> None:
        namespace, name = key
        slices = self.discovery.list_namespaced_endpoint_slice(
            namespace, label_selector=f"kubernetes.io/service-name={name}").items
        ready = [(address, endpoint.node_name) for piece in slices for endpoint in piece.endpoints or []
                 if (endpoint.conditions is None or endpoint.conditions.ready is not False)
                 for address in endpoint.addresses]
        if not ready:
            return  # DNAT needs a backend: announce once the endpoints are there
        record = lb.service_record(
            name=f"k-{namespace}-{name}"[:40], ip=ip, vrid=lb.VRID_BASE + int(ip.split(".")[-1]) % 150,
            port=service.spec.ports[0].port, backends=sorted(ready), nodes=nodes,
            defects=self.plan.defects)
        lb.start_service(self.plan, record)
        self.announced[key] = record
        print(f"announcing {namespace}/{name} {ip} from {', '.join(record.preference)}", flush=True)

    def _withdraw(self, key: tuple[str, str]) -> None:
        record = self.announced.pop(key)
        lb.stop_service(self.plan, record)
        self.holder.pop(key, None)
        self.renewed.pop(key, None)
        try:
            self.leases.delete_namespaced_lease(lease_name(*key), LEASE_NAMESPACE)
        except Exception as error:  # gone already, or the API is away: it expires
            print(f"lease {lease_name(*key)} not deleted: {error}", flush=True)
        print(f"withdrew {key[0]}/{key[1]} {record.ip}", flush=True)

    def _renew(self, key: tuple[str, str]) -> None:
        record = self.announced[key]
        holder = lb.serving_holder(self.plan, record.ip)
        if holder is None:
            return  # nobody announces: the lease is not renewed and expires, as on Cilium
        if holder == self.holder.get(key) and time.monotonic() - self.renewed.get(key, 0.0) < RENEW_S:
            return
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        name = lease_name(*key)
        from kubernetes.client.rest import ApiException

        try:
            lease = self.leases.read_namespaced_lease(name, LEASE_NAMESPACE)
        except ApiException as error:
            if error.status != 404:
                raise
            body = {"metadata": {"name": name, "namespace": LEASE_NAMESPACE},
                    "spec": {"holderIdentity": holder, "leaseDurationSeconds": LEASE_DURATION_S,
                             "acquireTime": now, "renewTime": now, "leaseTransitions": 0}}
            self.leases.create_namespaced_lease(LEASE_NAMESPACE, body)
        else:
            spec: dict[str, Any] = {"holderIdentity": holder, "renewTime": now,
                                    "leaseDurationSeconds": LEASE_DURATION_S}
            if lease.spec.holder_identity != holder:
                spec |= {"acquireTime": now, "leaseTransitions": (lease.spec.lease_transitions or 0) + 1}
                print(f"{name}: {lease.spec.holder_identity} -> {holder}", flush=True)
            self.leases.patch_namespaced_lease(name, LEASE_NAMESPACE, {"spec": spec})
        self.holder[key] = holder
        self.renewed[key] = time.monotonic()


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    # `lab down` stops us with SIGTERM. Leaving through SystemExit runs atexit, where the
    # kubernetes client deletes the files it wrote the kubeconfig's key and certificates to;
    # SIGTERM's default action left all three behind in $TMPDIR on every lab.
    raise SystemExit(0)


def main(argv: list[str]) -> int:
    from harness.targets.lab.kube_objects import admin_client

    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    plan = labs_here.plan_from_json(Path(argv[0]).read_text())
    controller = Controller(plan, admin_client(plan))
    failing_since: float | None = None
    while (plan.state_dir / labs_here.STATE_MARKER).exists():  # `lab down` removes it: then we go too
        try:
            controller.reconcile()
            failing_since = None
        except Exception as error:  # the API is away (a fault under test): retry
            if failing_since is None:
                failing_since = time.monotonic()
                print(f"reconcile failed, retrying: {str(error)[:200]}", flush=True)
        time.sleep(POLL_S)
    return 0


class LoadBalancerController:
    """The `LabComponent` (see components.py); after `LoadBalancers`, so it stops first."""

    name = "lb-controller"

    def wanted(self, plan: LabPlan) -> bool:
        return plan.kube

    def _pid_file(self, plan: LabPlan) -> Path:
        return plan.pid_path("lab", SERVICE)

    def up(self, lab: Lab) -> str:
        plan = lab.plan
        pid = procs.read_pid(self._pid_file(plan))
        if pid is None:  # the plan `up` left in the state directory (labs_here.record)
            pid = procs.start([sys.executable, "-m", __name__, str(plan.state_dir / labs_here.PLAN_JSON)],
                              netns=None, log=plan.log_path("lab", SERVICE), pid_file=self._pid_file(plan))
        return f"pid {pid}"

    def down(self, lab: Lab) -> None:
        pid = procs.read_pid(self._pid_file(lab.plan))
        if pid is not None:
            procs.stop([pid], timeout_s=3.0)
        self._pid_file(lab.plan).unlink(missing_ok=True)

    def running(self, lab: Lab) -> bool:
        return procs.read_pid(self._pid_file(lab.plan)) is not None


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
