"""Pods on the lab: network namespaces behind their node, so pod traffic crosses the node's link.

Each node owns a pod subnet 198.19.<last octet of its address>.0/24; the node forwards, and
every node routes the other nodes' pod subnets via their node address. A pod is a namespace
with one veth to its node (the node side carries the pod gateway .1/32), a route to the lab
range only (no default route: nothing leaves the lab), and a small server answering its name
on the pod ports (TCP) and echoing datagrams (UDP). Pods and their labels live in the state
directory, so `down` finds every one of them.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from harness.targets.base import TargetError
from harness.targets.lab import net, procs
from harness.targets.lab.config import NODE_IFACE, LabNode, LabPlan
from harness.targets.network import POD_PORTS, Pod, PodSpec

if TYPE_CHECKING:
    from harness.targets.lab.lifecycle import Lab

POD_RANGE = "198.19.0.0/16"
LAB_RANGE = "198.18.0.0/15"


def pod_subnet_octet(node: LabNode) -> int:
    return int(node.address.rsplit(".", 1)[1])


def pod_gateway(node: LabNode) -> str:
    return f"198.19.{pod_subnet_octet(node)}.1"


def pods_dir(plan: LabPlan) -> Path:
    return plan.state_dir / "pods"


def netns_name(plan: LabPlan, pod: Pod | PodSpec) -> str:
    return f"{plan.bridge}.pod.{pod.namespace}.{pod.name}"


def node_veth(pod: Pod) -> str:
    """Node-side veth: `p<node octet>h<pod octet>`, unique inside its node, within 15 chars."""
    _, _, node_octet, host = pod.address.split(".")
    return f"p{node_octet}h{host}"


class PodNetwork:
    """Lab component: forwarding and pod routes on every node (pods themselves come and go)."""

    name = "pod-network"

    def wanted(self, plan: LabPlan) -> bool:
        return True

    def up(self, lab: Lab) -> str:
        plan = lab.plan
        for node in plan.nodes:
            converge_node(plan, node)
        return f"pod subnets {', '.join(f'198.19.{pod_subnet_octet(n)}.0/24' for n in plan.nodes)}"

    def down(self, lab: Lab) -> None:
        plan = lab.plan
        remove_pods(plan, load_pods(plan))
        for leftover in net.namespaces():  # half-made pods the state does not know yet
            if leftover.startswith(f"{plan.bridge}.pod."):
                net.run("ip", "netns", "del", leftover, check=False)
        shutil.rmtree(pods_dir(plan), ignore_errors=True)

    def node_started(self, lab: Lab, node: str) -> None:
        """A powered-on node lost its forwarding and pod routes with its addresses."""
        plan = lab.plan
        converge_node(plan, plan.node(node))

    def running(self, lab: Lab) -> bool:
        plan = lab.plan
        present = net.namespaces()
        for node in plan.nodes:
            if node.name not in present:
                return False
            routes = net.run("ip", "-n", node.name, "route", "show", check=False)
            if any(f"198.19.{pod_subnet_octet(o)}.0/24" not in routes for o in plan.nodes if o != node):
                return False
        return True


def _plan(lab: Lab) -> LabPlan:
    plan = getattr(lab, "plan", None)
    if not isinstance(plan, LabPlan):
        raise TargetError("pod network needs a lab with a plan")
    return plan


def converge_node(plan: LabPlan, node: LabNode) -> None:
    """Forwarding on, routes to the other nodes' pod subnets (onlink: they survive an address
    flush at power-on)."""
    net.run("ip", "netns", "exec", node.name, "sysctl", "-qw", "net.ipv4.ip_forward=1",
            "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0")
    route_pod_subnets(node.name, [other for other in plan.nodes if other != node])


def route_pod_subnets(netns: str, via: Iterable[LabNode]) -> None:
    """In `netns`, each of these nodes' pod subnets via the node's address."""
    for node in via:
        net.run("ip", "-n", netns, "route", "replace", f"198.19.{pod_subnet_octet(node)}.0/24",
                "via", node.address, "dev", NODE_IFACE, "onlink")


def load_pods(plan: LabPlan) -> list[Pod]:
    found = []
    for path in sorted(pods_dir(plan).glob("*/*.json")):
        data = json.loads(path.read_text())
        found.append(Pod(name=data["name"], namespace=data["namespace"], node=data["node"],
                         address=data["address"], labels=data["labels"], ports=data["ports"]))
    return found


def load_namespace_labels(plan: LabPlan) -> dict[str, dict[str, str]]:
    path = pods_dir(plan) / "namespaces.json"
    return json.loads(path.read_text()) if path.exists() else {}


def save_namespace_labels(plan: LabPlan, labels: dict[str, dict[str, str]]) -> None:
    pods_dir(plan).mkdir(parents=True, exist_ok=True)
    (pods_dir(plan) / "namespaces.json").write_text(json.dumps(labels, sort_keys=True))


def _free_address(plan: LabPlan, node: LabNode, taken: Iterable[str]) -> str:
    used = set(taken)
    prefix = f"198.19.{pod_subnet_octet(node)}."
    for host in range(2, 255):
        if prefix + str(host) not in used:
            return prefix + str(host)
    raise TargetError(f"no free pod address left on {node.name}")


def create_pod(plan: LabPlan, spec: PodSpec, *, taken: Iterable[str]) -> Pod:
    node = plan.node(spec.node)
    pod = Pod(name=spec.name, namespace=spec.namespace, node=spec.node,
              address=_free_address(plan, node, taken), labels=dict(spec.labels), ports=dict(POD_PORTS))
    record = pods_dir(plan) / pod.namespace / f"{pod.name}.json"
    if record.exists():
        raise TargetError(f"pod {pod.ref} exists already")
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps(asdict(pod), sort_keys=True))  # first: `down` must find it
    ns, veth = netns_name(plan, pod), node_veth(pod)
    net.run("ip", "netns", "add", ns)
    net.run("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
    net.run("ip", "-n", node.name, "link", "del", veth, check=False)  # left by an earlier life
    net.run("ip", "-n", node.name, "link", "add", veth, "type", "veth", "peer", "name", NODE_IFACE,
            "netns", ns)
    net.run("ip", "-n", node.name, "addr", "replace", f"{pod_gateway(node)}/32", "dev", veth)
    net.run("ip", "-n", node.name, "link", "set", veth, "up")
    net.run("ip", "-n", node.name, "route", "replace", f"{pod.address}/32", "dev", veth)
    net.run("ip", "-n", ns, "link", "set", "lo", "up")
    net.run("ip", "-n", ns, "addr", "add", f"{pod.address}/32", "dev", NODE_IFACE)
    net.run("ip", "-n", ns, "link", "set", NODE_IFACE, "up")
    net.run("ip", "-n", ns, "route", "add", pod_gateway(node), "dev", NODE_IFACE, "scope", "link")
    # Only the lab's range: a pod has no way out of the lab.
    net.run("ip", "-n", ns, "route", "add", LAB_RANGE, "via", pod_gateway(node), "dev", NODE_IFACE)
    net.run("ip", "-n", ns, "route", "add", POD_RANGE, "via", pod_gateway(node), "dev", NODE_IFACE)
    ports = ",".join(str(p) for p in pod.ports.values())
    procs.start([sys.executable, "-m", "harness.workloads.pod_server", "--name", pod.name,
                 "--ports", ports], netns=ns, log=plan.log_path(f"pod-{pod.namespace}", pod.name),
                pid_file=pid_path(plan, pod))
    return pod


def pid_path(plan: LabPlan, pod: Pod) -> Path:
    return plan.pid_path(f"pod-{pod.namespace}", pod.name)


def remove_pods(plan: LabPlan, pods: Iterable[Pod]) -> None:
    pods = list(pods)
    procs.stop([p for p in (procs.read_pid(pid_path(plan, pod)) for pod in pods) if p is not None],
               timeout_s=2.0)
    present = net.namespaces()
    for pod in pods:
        ns = netns_name(plan, pod)
        if ns in present:
            procs.kill_now(procs.netns_pids(ns))  # anything else started in it (iperf3)
            net.run("ip", "netns", "del", ns, check=False)  # takes the veth pair along
        if pod.node in present:
            net.run("ip", "-n", pod.node, "link", "del", node_veth(pod), check=False)
        (pods_dir(plan) / pod.namespace / f"{pod.name}.json").unlink(missing_ok=True)
        pid_path(plan, pod).unlink(missing_ok=True)
