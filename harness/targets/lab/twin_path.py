"""The lab's twin path: two namespaces on the lab's bridge, each on a veth shaped like a healthy
node link, that no node, pod, defect or fault touches.

Everything in the lab shares this machine's cores, so on a busy machine a 1 Gbit/s link emulated
in software delivers less than 941 Mbit/s although nothing in the cluster is wrong. iperf3 across
the twin path, run beside a pair's own iperf3, measures what the machine can emulate now; the
throughput checks judge a pair against min(link roofline, twin). A slow or congested link is a
defect of the nodes' links, not of the twin path, so it still fails.
"""

from __future__ import annotations

from ipaddress import IPv4Interface

from harness.targets.lab import net
from harness.targets.lab.config import LabNode, LabPlan, shaped_rate_kbit, veth_name

SUFFIXES = ("twa", "twb")


def twin_nodes(plan: LabPlan, link_mbit: float) -> tuple[LabNode, LabNode]:
    """The two ends: the third- and second-to-last addresses of the lab's subnet (the last is the
    storage client's), shaped at the healthy rate for `link_mbit` whatever the defects say."""
    network = IPv4Interface(f"{plan.workstation}/{plan.prefix_length}").network
    taken = {plan.workstation, plan.vip, *(n.address for n in plan.nodes)}
    ends = []
    for offset, suffix in zip((3, 2), SUFFIXES, strict=True):
        address = str(network.broadcast_address - offset)
        if address in taken:
            raise ValueError(f"the twin path's address {address} is taken in the lab's subnet")
        ends.append(LabNode(name=f"{plan.bridge}-{suffix}", address=address, controlplane=False,
                            etcd=False, root_iface=veth_name(plan.bridge, suffix, len(plan.nodes)),
                            rate_kbit=shaped_rate_kbit(link_mbit)))
    return ends[0], ends[1]


def ensure(plan: LabPlan, link_mbit: float) -> tuple[LabNode, LabNode]:
    """Build (or repair) both ends; a few tens of milliseconds when they are already there."""
    ends = twin_nodes(plan, link_mbit)
    for end in ends:
        net.node_up(plan, end)
    return ends


def remove(plan: LabPlan) -> None:
    """Both ends, if present (deleting a namespace takes its veth pair along)."""
    present = net.namespaces()
    for suffix in SUFFIXES:
        name = f"{plan.bridge}-{suffix}"
        if name in present:
            net.run("ip", "netns", "del", name)
