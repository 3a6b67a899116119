"""The lab's twin path: two namespaces on the lab's bridge, each on a veth shaped like a healthy
node link, that no node, pod, defect or fault touches.

Everything in the lab shares this machine's cores, so on a busy machine a 1 Gbit/s link emulated
in software delivers less than 941 Mbit/s although nothing in the cluster is wrong. iperf3 across
the twin path, run beside a pair's own iperf3, measures what the machine can emulate now; the
throughput checks judge a pair against min(link roofline, twin). A slow or congested link is a
defect of the nodes' links, not of the twin path, so it still fails.
"""

from __future__ import annotations

from harness.targets.lab import net
from harness.targets.lab.config import LabNode, LabPlan, shaped_rate_kbit, side_host

SUFFIXES = ("twa", "twb")


def twin_nodes(plan: LabPlan, link_mbit: float) -> tuple[LabNode, LabNode]:
    """The two ends (`config.SIDE_HOSTS`), shaped at the healthy rate for `link_mbit` whatever
    the defects say."""
    a, b = (side_host(plan, suffix, rate_kbit=shaped_rate_kbit(link_mbit)) for suffix in SUFFIXES)
    return a, b


def ensure(plan: LabPlan, link_mbit: float) -> tuple[LabNode, LabNode]:
    """Build (or repair) both ends; a few tens of milliseconds when they are already there."""
    ends = twin_nodes(plan, link_mbit)
    for end in ends:
        net.node_up(plan, end)
    return ends

