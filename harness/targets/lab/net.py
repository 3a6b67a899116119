"""The lab's switch: a bridge in the root namespace, one network namespace per node on a shaped veth.

Plain `ip`/`tc`/`nft` commands: each call is a few milliseconds and reads like the LAB-NOTES
recipe. Every step is idempotent (`replace`, existence checks), so `up` converges from any
half-built state. Traffic stays on the bridge: no uplink, no NAT, no default route.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from harness.targets.base import TargetError
from harness.targets.lab.config import NODE_IFACE, SIDE_HOSTS, LabNode, LabPlan, side_host

NETNS_DIR = Path("/run/netns")
PARTITION_TABLE = "harness_partition"
CLIENT_FIREWALL_TABLE = "harness_etcd_firewall"


def run(*argv: str, input_text: str | None = None, check: bool = True) -> str:
    done = subprocess.run(argv, input=input_text, capture_output=True, text=True, check=False,
                          timeout=10)
    if check and done.returncode != 0:
        raise TargetError(f"`{' '.join(argv)}` failed: {done.stderr.strip()[:300]}")
    return done.stdout


def namespaces() -> set[str]:
    return set(os.listdir(NETNS_DIR)) if NETNS_DIR.is_dir() else set()


def root_links() -> set[str]:
    return set(os.listdir("/sys/class/net"))


def listening(netns: str, port: int) -> bool:
    """Something in `netns` listens on TCP `port` (seen from inside the namespace)."""
    return bool(run("ip", "netns", "exec", netns, "ss", "-Hltn", f"sport = :{port}", check=False).strip())


def wait_listening(entries: Sequence[tuple[str, str, int]], *, what: str, within_s: float = 10.0) -> None:
    """Until each (label, netns, port) listens; a TargetError naming the laggards after `within_s`."""
    deadline = time.monotonic() + within_s
    waiting = list(entries)
    while waiting and time.monotonic() < deadline:
        waiting = [e for e in waiting if not listening(e[1], e[2])]
        if waiting:
            time.sleep(0.05)
    if waiting:
        raise TargetError(f"{what} not serving within {within_s:g} s: {', '.join(e[0] for e in waiting)}")


def _sysctl(path: str, value: str) -> None:
    Path("/proc/sys", path).write_text(value)


def bridge_up(plan: LabPlan) -> None:
    if plan.bridge not in root_links():
        run("ip", "link", "add", plan.bridge, "type", "bridge")
        _sysctl(f"net/ipv6/conf/{plan.bridge}/disable_ipv6", "1")  # IPv4 lab only: no RS/MLD chatter
    # Snooping on: VRRP multicast between namespaces gets lost (LAB-NOTES).
    run("ip", "link", "set", plan.bridge, "type", "bridge", "mcast_snooping", "0")
    run("ip", "addr", "replace", f"{plan.workstation}/{plan.prefix_length}", "dev", plan.bridge)
    run("ip", "link", "set", plan.bridge, "up")


def node_mac(address: str) -> str:
    """A host's MAC from its address (locally administered), the same each time it is built, as
    a machine keeps its NIC: the neighbours' ARP entries from its last life stay right (a new
    random MAC cost the first SYNs to a re-created host a 1 s retransmission)."""
    return "02:48:" + ":".join(f"{int(octet):02x}" for octet in address.split("."))


def node_up(plan: LabPlan, node: LabNode) -> bool:
    """Build or repair one node's namespace and link; True when the namespace was (re)created."""
    created = node.name not in namespaces()
    if created:
        run("ip", "netns", "add", node.name)
        run("ip", "netns", "exec", node.name, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
            "net.ipv6.conf.default.disable_ipv6=1")
        # The old namespace's veth may still be on its way out (deletion is asynchronous).
        run("ip", "link", "del", node.root_iface, check=False)
    if node.root_iface not in root_links():
        run("ip", "link", "add", node.root_iface, "type", "veth", "peer", "name", NODE_IFACE,
            "address", node_mac(node.address), "netns", node.name)
        _sysctl(f"net/ipv6/conf/{node.root_iface}/disable_ipv6", "1")
    run("ip", "link", "set", node.root_iface, "master", plan.bridge, "up")
    ns = ("ip", "-n", node.name)
    run(*ns, "link", "set", "lo", "up")
    run(*ns, "addr", "replace", f"{node.address}/{plan.prefix_length}", "dev", NODE_IFACE)
    run(*ns, "link", "set", NODE_IFACE, "up")
    if f"wrong-mtu:{node.name}" in plan.defects:  # seeded defect: a NIC that disagrees with the switch
        run(*ns, "link", "set", NODE_IFACE, "mtu", "1400")
    if f"etcd-client-firewalled:{node.name}" in plan.defects:
        firewall_etcd_clients(plan, node)
    if "webhook-blackholed" in plan.defects and node.controlplane:
        blackhole_webhook(plan, node)
    shape(node, node.rate_kbit)
    return created


def firewall_etcd_clients(plan: LabPlan, node: LabNode) -> None:
    """Seeded defect: a host firewall drops etcd client connections to the node's own address
    from the switch. Peers (their own port), the VIP and the node's local health checks still
    get through, so the cluster looks whole from the VIP."""
    rules = f"""table inet {CLIENT_FIREWALL_TABLE} {{
    chain input {{
        type filter hook input priority 0; policy accept;
        iifname "{NODE_IFACE}" ip daddr {node.address} tcp dport {plan.etcd_port} drop
    }}
}}
"""
    _replace_table(node, CLIENT_FIREWALL_TABLE, rules)


def _replace_table(node: LabNode, table: str, rules: str) -> None:
    """Load an inet table into the node's namespace, replacing one of that name."""
    run("ip", "netns", "exec", node.name, "nft", "delete", "table", "inet", table, check=False)
    run("ip", "netns", "exec", node.name, "nft", "-f", "-", input_text=rules)


def blackhole_webhook(plan: LabPlan, node: LabNode) -> None:
    """`webhook-blackholed`: the node's API server never hears from the webhook's address (its
    SYNs are dropped), so each call waits out the webhook's timeout."""
    from harness.targets.lab.kube_config import WEBHOOK_TABLE, webhook_address

    rules = f"""table inet {WEBHOOK_TABLE} {{
    chain output {{
        type filter hook output priority 0; policy accept;
        ip daddr {webhook_address(plan)} drop
    }}
}}
"""
    _replace_table(node, WEBHOOK_TABLE, rules)


def shape(node: LabNode, rate_kbit: int) -> None:
    """htb on both veth ends: the namespace side shapes what the node sends, the root side what it
    receives. Offloads stay on (tbf or offloads off cost CPU and retransmits, LAB-NOTES)."""
    # 64k lets TSO bursts through at line rate; a slow link gets ~10 ms worth (at least one frame),
    # or small packets would never wait and a congested link would look idle.
    burst = "64k" if rate_kbit >= 100_000 else f"{max(1600, rate_kbit * 1000 // 8 // 100)}b"
    for prefix, dev in ((("ip", "netns", "exec", node.name), NODE_IFACE), ((), node.root_iface)):
        tc = (*prefix, "tc")
        if "htb 1:" not in run(*tc, "qdisc", "show", "dev", dev, "root"):  # htb refuses `replace`
            run(*tc, "qdisc", "replace", "dev", dev, "root", "handle", "1:", "htb", "default", "10")
        run(*tc, "class", "replace", "dev", dev, "parent", "1:", "classid", "1:10", "htb",
            "rate", f"{rate_kbit}kbit", "ceil", f"{rate_kbit}kbit", "burst", burst, "cburst", burst,
            "quantum", "65536")


def link(node: LabNode, up: bool) -> None:
    """The node's switch port (root-side veth): down is a pulled cable, seen at once by nobody."""
    run("ip", "link", "set", node.root_iface, "up" if up else "down")


def link_is_up(node: LabNode) -> bool:
    try:
        flags = int(Path(f"/sys/class/net/{node.root_iface}/flags").read_text(), 16)
    except OSError:  # gone, or going: a veth whose namespace was just deleted reads EINVAL
        return False
    return bool(flags & 0x1)  # IFF_UP


def reset_addresses(plan: LabPlan, node: LabNode) -> None:
    """Power-on: a stale VIP left on a dead node would be a duplicate address once it is back."""
    ns = ("ip", "-n", node.name)
    run(*ns, "addr", "flush", "dev", NODE_IFACE)
    run(*ns, "addr", "add", f"{node.address}/{plan.prefix_length}", "dev", NODE_IFACE)
    if plan.static_vip_node() == node.name:
        add_static_vip(plan, node)


def add_static_vip(plan: LabPlan, node: LabNode) -> None:
    run("ip", "-n", node.name, "addr", "replace", f"{plan.vip}/{plan.prefix_length}", "dev",
        NODE_IFACE)


def addresses(node: LabNode) -> list[str]:
    out = run("ip", "-n", node.name, "-4", "-o", "addr", "show", "dev", NODE_IFACE, check=False)
    return [line.split()[3].split("/")[0] for line in out.splitlines() if " inet " in line]


def mac(node: LabNode) -> str | None:
    out = run("ip", "-n", node.name, "-o", "link", "show", "dev", NODE_IFACE, check=False)
    parts = out.split()
    return parts[parts.index("link/ether") + 1] if "link/ether" in parts else None


def workstation_mac_for(plan: LabPlan, address: str) -> str | None:
    """The MAC the workstation currently sends `address` to (its ARP entry), if it has one."""
    parts = run("ip", "neigh", "show", address, "dev", plan.bridge, check=False).split()
    return parts[parts.index("lladdr") + 1] if "lladdr" in parts else None


def partition(node: LabNode, on: bool) -> None:
    """netdev hooks on the node's interface drop everything, ARP included: a cable pull that the
    node itself does not notice (its link stays up)."""
    if not on:
        run("ip", "netns", "exec", node.name, "nft", "delete", "table", "netdev", PARTITION_TABLE,
            check=False)
        return
    rules = f"""table netdev {PARTITION_TABLE} {{
    chain ingress {{ type filter hook ingress device {NODE_IFACE} priority -500; policy drop; }}
    chain egress {{ type filter hook egress device {NODE_IFACE} priority -500; policy drop; }}
}}
"""
    run("ip", "netns", "exec", node.name, "nft", "-f", "-", input_text=rules)


def is_partitioned(node: LabNode) -> bool:
    out = run("ip", "netns", "exec", node.name, "nft", "list", "tables", check=False)
    return PARTITION_TABLE in out


def teardown(plan: LabPlan) -> None:
    present = namespaces()
    for node in plan.nodes:
        if node.name in present:
            run("ip", "netns", "del", node.name)  # takes its veth pair and nft tables along
    links = root_links()
    for node in plan.nodes:
        if node.root_iface in links:
            run("ip", "link", "del", node.root_iface, check=False)
    # The hosts beside the nodes (storage client, twin ends, world): their own components remove
    # them, but a lab brought up under another profile (with Ceph, say) may have made some.
    for side in (side_host(plan, suffix, rate_kbit=0) for suffix in SIDE_HOSTS):
        if side.name in present:
            run("ip", "netns", "del", side.name)
        if side.root_iface in links:
            run("ip", "link", "del", side.root_iface, check=False)
    if plan.bridge in links:
        run("ip", "link", "del", plan.bridge)
