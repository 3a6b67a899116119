"""The lab's HTTP load generator: a host beside the nodes on the lab's switch, where the workers
of a distributed locust run.

Placement. A homelab user load-tests a LoadBalancer service from outside the cluster: from a
machine on the LAN that reaches the LB IP because one node answers ARP for it (Cilium's L2
announcement), and that scales out by running more locust workers there. The lab gives that
machine: `<bridge>-lg`, a namespace on the lab's bridge at the fifth-to-last address of the
subnet (198.18.0.250), its link shaped like a node's. Its workers reach the LB IP on L2 through
the announcing node, exactly as the workstation's requests do, and dial their master on the
workstation (198.18.0.1) over the bridge: lab addresses only. Not the nodes' namespaces: load
sent from a node enters the cluster at that node (from the announcer it never crosses the
switch) and competes with the node's own daemons, so it would measure the generator inside the
system under test. A single-process run stays on the workstation itself.

The host is made for a run and removed after it (any process left in it killed by PID, the
namespace deleted), on every path; `lab down` removes it too (`net.teardown`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from harness.targets.base import TargetError
from harness.targets.lab import net, procs
from harness.targets.lab.config import LabNode, LabPlan, side_host

LOAD_SUFFIX = "lg"


def load_node(plan: LabPlan) -> LabNode:
    return side_host(plan, LOAD_SUFFIX, rate_kbit=max(n.rate_kbit for n in plan.nodes))


def remove(plan: LabPlan) -> None:
    """The load host's namespace and anything still running in it, if present."""
    host = load_node(plan)
    if host.name in net.namespaces():
        procs.kill_now(procs.netns_pids(host.name))  # SIGKILL: gone within its 5 s
        procs.reap()
        net.run("ip", "netns", "del", host.name, check=False)
    if host.root_iface in net.root_links():
        net.run("ip", "link", "del", host.root_iface, check=False)


@contextmanager
def load_generator(plan: LabPlan) -> Iterator[LabNode]:
    """The load host, up on the bridge while the context lasts. Refused while another run's
    processes live there (the lab has one load host; a stale empty one is taken over)."""
    host = load_node(plan)
    busy = procs.netns_pids(host.name) if host.name in net.namespaces() else []
    if busy:
        raise TargetError(f"the lab's load host {host.name} is in use by another run: "
                          f"{procs.describe(busy)}")
    try:
        net.node_up(plan, host)
        yield host
    finally:
        remove(plan)
