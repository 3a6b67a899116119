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
from collections.abc import Iterator
from contextlib import contextmanager

from harness.targets.lab import net, procs
from harness.targets.lab.config import LabNode, LabPlan, side_host
from harness.targets.lab.pods import route_pod_subnets
from harness.targets.network import POD_PORTS, Peer

WORLD_SUFFIX = "wo"
SERVICE = "policy-peer"


def world_node(plan: LabPlan) -> LabNode:
    return side_host(plan, WORLD_SUFFIX, rate_kbit=max(n.rate_kbit for n in plan.nodes))


def _world_up(plan: LabPlan) -> LabNode:
    world = world_node(plan)
    net.node_up(plan, world)
    route_pod_subnets(world.name, plan.nodes)
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
            argv = [sys.executable, "-m", "harness.workloads.pod_server", "--name", peer.key,
                    "--ports", ports, "--bind", peer.address]
            pids.append(procs.start(argv, netns=netns, log=plan.log_path(netns, SERVICE),
                                    pid_file=plan.pid_path(netns, SERVICE)))
        port = next(iter(POD_PORTS.values()))
        net.wait_listening([(peer.key, netns, port) for peer, netns in hosts], what="policy peers")
        yield [peer for peer, _ in hosts]
    finally:
        procs.stop(pids, timeout_s=2.0)
        procs.reap()
        for _, netns in hosts:
            plan.pid_path(netns, SERVICE).unlink(missing_ok=True)
        remove(plan)
