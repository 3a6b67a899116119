"""The policy matrix's peers beside the pods on the lab: the outside world and the nodes.

`world` is a namespace of its own on the lab's bridge (`<bridge>-wo`, the fourth-to-last address
of the lab's subnet): a host outside the cluster, as the workstation is, but with its own ports,
so nothing on the workstation is in the way. It routes the pod subnets via their nodes, as the
nodes do. Each node's namespace is a peer too: Cilium's `host` to its own pods, `remote-node` to
the others'. Every peer runs the pods' server (`pod_server`) on the pod ports while the matrix
runs; the servers stop and the world namespace goes when the context ends (and on `lab down`).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from ipaddress import IPv4Interface

from harness.targets.base import TargetError
from harness.targets.lab import net, procs
from harness.targets.lab.config import LabNode, LabPlan, veth_name
from harness.targets.lab.pods import pod_subnet_octet
from harness.targets.network import POD_PORTS, Peer

WORLD_SUFFIX = "wo"
SERVICE = "policy-peer"


def world_node(plan: LabPlan) -> LabNode:
    network = IPv4Interface(f"{plan.workstation}/{plan.prefix_length}").network
    address = str(network.broadcast_address - 4)
    if address in {plan.workstation, plan.vip, *(n.address for n in plan.nodes)}:
        raise ValueError(f"the world peer's address {address} is taken in the lab's subnet")
    return LabNode(name=f"{plan.bridge}-{WORLD_SUFFIX}", address=address, controlplane=False, etcd=False,
                   root_iface=veth_name(plan.bridge, WORLD_SUFFIX, len(plan.nodes)),
                   rate_kbit=max(n.rate_kbit for n in plan.nodes))


def _world_up(plan: LabPlan) -> LabNode:
    world = world_node(plan)
    net.node_up(plan, world)
    for node in plan.nodes:
        net.run("ip", "-n", world.name, "route", "replace", f"198.19.{pod_subnet_octet(node)}.0/24",
                "via", node.address, "dev", "eth0", "onlink")
    return world


def remove(plan: LabPlan) -> None:
    """The world namespace and anything running in it, if present."""
    name = world_node(plan).name
    if name in net.namespaces():
        procs.kill_now(procs.netns_pids(name))
        net.run("ip", "netns", "del", name, check=False)


@contextmanager
def serving(plan: LabPlan) -> Iterator[list[Peer]]:
    """World and every node with a link up, each serving the pod ports, until the context ends."""
    world = _world_up(plan)
    hosts = [(Peer("world", "world", world.address), world.name)]
    hosts += [(Peer("node", n.name, n.address), n.name) for n in plan.nodes if net.link_is_up(n)]
    ports = ",".join(str(p) for p in POD_PORTS.values())
    pids: list[int] = []
    try:
        for peer, netns in hosts:
            argv = [sys.executable, "-m", "harness.targets.lab.pod_server", "--name", peer.key,
                    "--ports", ports, "--bind", peer.address]
            pids.append(procs.start(argv, netns=netns, log=plan.log_path(netns, SERVICE),
                                    pid_file=plan.pid_path(netns, SERVICE)))
        _wait_listening(hosts, next(iter(POD_PORTS.values())))
        yield [peer for peer, _ in hosts]
    finally:
        procs.stop(pids, timeout_s=2.0)
        procs.reap()
        for _, netns in hosts:
            plan.pid_path(netns, SERVICE).unlink(missing_ok=True)
        remove(plan)


def _wait_listening(hosts: list[tuple[Peer, str]], port: int) -> None:
    deadline = time.monotonic() + 10.0
    waiting = list(hosts)
    while waiting and time.monotonic() < deadline:
        waiting = [(p, ns) for p, ns in waiting if not net.run(
            "ip", "netns", "exec", ns, "ss", "-Hltn", f"sport = :{port}", check=False).strip()]
        if waiting:
            time.sleep(0.05)
    if waiting:
        raise TargetError(f"policy peers not serving within 10 s: {', '.join(p.key for p, _ in waiting)}")
