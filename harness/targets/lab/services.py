"""Service addresses on the lab, for the pod -> service path (k8s-netperf's third path).

Cilium without kube-proxy translates a service address where the client is: its socket LB
rewrites the destination on connect(), its BPF program at the pod's device does for what the
socket LB did not see, so the packet leaves the client's node already addressed to a backend
pod. The lab does the same with an nftables DNAT in every node's namespace, at prerouting (the
node's pods) and output (the node itself), TCP and UDP on every port: service address ->
backend pod. Replies are un-NATed by that node's conntrack on their way back. Addresses come from
`SERVICE_RANGE`, which the Kubernetes lab uses for its ClusterIPs too; a service lives as long
as its context and goes with the node namespaces at `lab down` in any case.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from ipaddress import IPv4Network

from harness.targets.lab import net
from harness.targets.lab.config import LabPlan
from harness.targets.network import Pod, ServiceOf

SERVICE_RANGE = IPv4Network("198.19.240.0/20")
_FIRST_FREE = 16
"""Below this the Kubernetes lab's first ClusterIPs (its `kubernetes` service is .1)."""
_serial = itertools.count()
_lock = threading.Lock()


def _next_address() -> str:
    with _lock:
        index = next(_serial)
    return str(SERVICE_RANGE[_FIRST_FREE + index % (SERVICE_RANGE.num_addresses - _FIRST_FREE - 1)])


def table(address: str) -> str:
    return "harness_svc_" + address.replace(".", "_")


def nft_rules(address: str, backend: str) -> str:
    # Both hooks at dstnat's priority (-100; nft names it for prerouting only): before the
    # routing decision, as Cilium's translation is.
    translate = f"ip daddr {address} meta l4proto {{ tcp, udp }} dnat to {backend}"
    return f"""table ip {table(address)} {{
    chain prerouting {{
        type nat hook prerouting priority dstnat; policy accept;
        {translate}
    }}
    chain output {{
        type nat hook output priority -100; policy accept;
        {translate}
    }}
}}
"""


@contextmanager
def service_of(plan: LabPlan, pod: Pod) -> Iterator[ServiceOf]:
    """A service address in front of `pod`, translated on every node; removed on every path."""
    address = _next_address()
    present = net.namespaces()
    nodes = [n.name for n in plan.nodes if n.name in present]
    try:
        for node in nodes:
            net.run("ip", "netns", "exec", node, "nft", "-f", "-", input_text=nft_rules(address, pod.address))
        yield ServiceOf(pod=pod, address=address, name=table(address))
    finally:
        for node in nodes:
            net.run("ip", "netns", "exec", node, "nft", "delete", "table", "ip", table(address), check=False)
