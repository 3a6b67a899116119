"""The lab's plan: every name, address, command line and config file derived from a profile.

Pure functions only (no root, no side effects), so what the lab runs is unit-tested. The
numbers and settings come from LAB-NOTES.md, where each was measured on this machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Interface
from pathlib import Path

from harness.profile import Profile, parse_defect
from harness.profile.model import Node

ETCD_CLIENT_PORT = 2379
ETCD_PEER_PORT = 2380
NODE_IFACE = "eth0"
VRRP_ROUTER_ID = 51
VIP_EVENTS_FILE = "vip-events.log"
# tc counts L2 frames (1514 bytes) while the wire carries 1538 per frame: shaping at
# link * 1514/1538 lands TCP goodput on the real 1GbE figure (941 Mbit/s).
WIRE_FRACTION = 1514 / 1538
CONGESTED_KBIT = 512


def shaped_rate_kbit(link_mbit: float) -> int:
    """htb rate for a link of `link_mbit`, in kbit/s (984000 for 1 Gbit/s)."""
    return round(link_mbit * 1000 * WIRE_FRACTION)


@dataclass(frozen=True)
class LabNode:
    name: str
    address: str
    controlplane: bool
    etcd: bool
    """Runs an etcd member (all control-plane nodes, except cp3 under `etcd-two-members`)."""
    root_iface: str
    """The veth end in the root namespace, on the bridge (the node's "switch port")."""
    rate_kbit: int


@dataclass(frozen=True)
class LabPlan:
    """Everything `up` builds, by name; `down` removes exactly this."""

    state_dir: Path
    bridge: str
    workstation: str
    prefix_length: int
    vip: str
    port: int
    nodes: tuple[LabNode, ...]
    static_vip: str | None
    """Node with the VIP configured statically (`vip-stuck`, `vip-on-worker`); no VRRP then."""
    vrrp: bool
    """keepalived runs on the control-plane nodes (all defects but the VIP ones)."""
    prevote: bool
    split_brain: str | None = None
    """Member that bootstraps a cluster of its own (`etcd-split-brain`)."""
    election_timeout_ms: int | None = None
    """etcd's election timeout when a defect sets one (heartbeat a tenth of it); None: etcd's 1 s."""
    storage: bool = False
    """Ceph comes up with the lab (`lab.storage` and `storage.enabled`); see `ceph_config.py`."""
    replication: tuple[int, int] = (3, 2)
    """Ceph pool (size, min_size) from the profile."""
    defects: tuple[str, ...] = ()
    """Every seeded defect as written in the profile (components read their own)."""
    kube: bool = False
    """A real Kubernetes control plane runs on the lab (`lab.kubernetes`): the VIP serves
    kube-apiserver on `port`, etcd keeps its own client port (see `kube_config.py`)."""
    etcd_port: int = ETCD_CLIENT_PORT
    """etcd's client port: the VIP's port on the plain lab, where the "API" is etcd."""

    def node(self, name: str) -> LabNode:
        for node in self.nodes:
            if node.name == name:
                return node
        raise KeyError(f"no lab node {name!r} (nodes: {', '.join(n.name for n in self.nodes)})")

    @property
    def controlplane(self) -> tuple[LabNode, ...]:
        return tuple(n for n in self.nodes if n.controlplane)

    @property
    def etcd_members(self) -> tuple[LabNode, ...]:
        return tuple(n for n in self.nodes if n.etcd)

    @property
    def vrrp_nodes(self) -> tuple[LabNode, ...]:
        """Nodes running keepalived; none when a defect pins the VIP or leaves it unassigned."""
        return self.controlplane if self.vrrp else ()

    def static_vip_node(self) -> str | None:
        return self.static_vip

    @property
    def vip_served(self) -> bool:
        """Whether `up` can expect the VIP to answer (not under `vip-unassigned`/`vip-on-worker`)."""
        return self.vrrp or (self.static_vip is not None and self.node(self.static_vip).etcd)

    def services(self, node: str) -> tuple[str, ...]:
        """What runs on `node`, in start order (power-on restarts them in this order)."""
        n = self.node(node)
        kube_cp = self.kube and n.controlplane
        apiserver = kube_cp and self.defect_node("apiserver-down") != node
        kubelet = self.kube and self.defect_node("kubelet-down") != node
        return tuple(s for s, on in (("etcd", n.etcd), ("kube-apiserver", apiserver),
                                      ("keepalived", n in self.vrrp_nodes),
                                      ("kube-controller-manager", kube_cp),
                                      ("kube-scheduler", kube_cp), ("kwok", kubelet)) if on)

    # Paths in the state directory: one place, so `down` removes everything by removing it.
    def defect_node(self, kind: str) -> str | None:
        """The node a `kind:<node>` defect names, if the profile seeds it."""
        return next((d.split(":", 1)[1] for d in self.defects if d.startswith(f"{kind}:")), None)

    def data_dir(self, node: str) -> Path:
        """The node's "data disk": a directory, or a small full tmpfs under `disk-full`."""
        return self.state_dir / "disks" / node

    def log_path(self, node: str, service: str) -> Path:
        return self.state_dir / "logs" / f"{node}-{service}.log"

    def pid_path(self, node: str, service: str) -> Path:
        return self.state_dir / "pids" / f"{node}-{service}.pid"

    def etcd_data_dir(self, node: str) -> Path:
        return self.state_dir / "etcd" / node

    def keepalived_dir(self, node: str) -> Path:
        return self.state_dir / "keepalived" / node

    @property
    def vip_events_path(self) -> Path:
        return self.state_dir / VIP_EVENTS_FILE

    @property
    def notify_script(self) -> Path:
        return self.state_dir / "keepalived" / "notify.sh"


def veth_name(bridge: str, node: str, index: int) -> str:
    """Root-side veth name, readable when it fits the kernel's 15 characters."""
    name = f"{bridge}-{node}"
    return name if len(name) <= 15 else f"{bridge}-n{index}"[:15]


SIDE_HOSTS = {"cl": "the storage client", "twb": "the twin path's b end", "twa": "the twin path's a end",
              "wo": "the policy matrix's world", "lg": "the HTTP load generator"}
"""Hosts of the lab's own beside the nodes, on the lab's subnet from its last address down."""


def side_host(plan: LabPlan, suffix: str, *, rate_kbit: int) -> LabNode:
    """The `SIDE_HOSTS` entry `suffix` as a namespace on a shaped veth named after the bridge: the
    first at the subnet's last host address, each next one below it."""
    rank = list(SIDE_HOSTS).index(suffix)
    network = IPv4Interface(f"{plan.workstation}/{plan.prefix_length}").network
    address = str(network.broadcast_address - 1 - rank)
    if address in {plan.workstation, plan.vip, *(n.address for n in plan.nodes)}:
        raise ValueError(f"{SIDE_HOSTS[suffix]}'s address {address} is taken in the lab's subnet")
    return LabNode(name=f"{plan.bridge}-{suffix}", address=address, controlplane=False, etcd=False,
                   root_iface=veth_name(plan.bridge, suffix, len(plan.nodes) + rank), rate_kbit=rate_kbit)


ELECTION_TIMEOUT_MS = {
    "etcd-slow-election": 5000,  # a follower waits 5 s for a dead leader before it stands
    "etcd-stalled-election": 15000,  # longer than the 6 s the killed leader stays away
    "etcd-no-prevote-slow": 2500,  # a partitioned follower stands at least once in 6 s
}
"""Election timeouts of the etcd timing defects (etcd's own default is 1 s)."""


def make_plan(profile: Profile) -> LabPlan:
    defects = [parse_defect(text, [n.name for n in profile.nodes]) for text in profile.lab.defects]
    kinds = {d.kind.name for d in defects}
    slow = {d.node for d in defects if d.kind.name == "slow-link"}
    two_members = "etcd-two-members" in kinds
    cp_names = [n.name for n in profile.controlplane_nodes()]
    etcd_names = set(cp_names[:2] if two_members else cp_names)
    # A saturated switch: small requests queue behind each other (the burst shrinks too, net.shape).
    rate = CONGESTED_KBIT if "congested-switch" in kinds else shaped_rate_kbit(profile.switch.link_mbit)
    workers = [n.name for n in profile.nodes if not n.is_controlplane]
    static_vip = {"vip-stuck": cp_names[0] if cp_names else None,
                  "vip-on-worker": workers[0] if workers else None}
    pinned = next((static_vip[k] for k in static_vip if k in kinds), None)
    vrrp = not kinds & {"vip-stuck", "vip-on-worker", "vip-unassigned"}

    def lab_node(index: int, node: Node) -> LabNode:
        return LabNode(name=node.name, address=str(node.address), controlplane=node.is_controlplane,
                       etcd=node.name in etcd_names,
                       root_iface=veth_name(profile.lab.bridge, node.name, index),
                       rate_kbit=rate // 10 if node.name in slow else rate)

    return LabPlan(state_dir=profile.lab.state_dir, bridge=profile.lab.bridge,
                   workstation=str(profile.lab.workstation_address),
                   prefix_length=profile.lab.prefix_length, vip=str(profile.controlplane.endpoint),
                   port=profile.controlplane.port,
                   nodes=tuple(lab_node(i, n) for i, n in enumerate(profile.nodes)),
                   static_vip=pinned, vrrp=vrrp,
                   prevote=not kinds & {"etcd-no-prevote", "etcd-no-prevote-slow"},
                   split_brain=cp_names[-1] if "etcd-split-brain" in kinds and cp_names else None,
                   election_timeout_ms=next((t for k, t in ELECTION_TIMEOUT_MS.items() if k in kinds), None),
                   storage=profile.lab.storage and profile.storage.enabled,
                   replication=(profile.storage.replication.size, profile.storage.replication.min_size),
                   defects=tuple(str(d) for d in defects), kube=profile.lab.kubernetes,
                   etcd_port=ETCD_CLIENT_PORT if profile.lab.kubernetes else profile.controlplane.port)


def etcd_argv(plan: LabPlan, node: str) -> list[str]:
    n = plan.node(node)
    # Under `etcd-split-brain` one member is told it is alone: it elects itself.
    peers = (n,) if plan.split_brain in (node,) else tuple(
        m for m in plan.etcd_members if m.name != plan.split_brain)
    cluster = ",".join(f"{m.name}=http://{m.address}:{ETCD_PEER_PORT}" for m in peers)
    token = f"{plan.bridge}-etcd" + ("-alone" if plan.split_brain == node else "")
    timeout = plan.election_timeout_ms
    timing = [] if timeout is None else ["--heartbeat-interval", str(timeout // 10),
                                         "--election-timeout", str(timeout)]
    return [
        "etcd", "--name", n.name, "--data-dir", str(plan.etcd_data_dir(node)),
        "--listen-peer-urls", f"http://{n.address}:{ETCD_PEER_PORT}",
        "--initial-advertise-peer-urls", f"http://{n.address}:{ETCD_PEER_PORT}",
        # 0.0.0.0 inside the namespace: the node address and the VIP whenever this node holds it.
        "--listen-client-urls", f"http://0.0.0.0:{plan.etcd_port}",
        "--advertise-client-urls", f"http://{n.address}:{plan.etcd_port}",
        "--initial-cluster", cluster, "--initial-cluster-state", "new",
        "--initial-cluster-token", token, *timing,
        # Off by default in 3.4: without it a healed partition forces a 2+ s re-election.
        f"--pre-vote={'true' if plan.prevote else 'false'}",
        # zap JSON lines carry timestamps: the lab reads leader elections from them.
        "--logger", "zap", "--log-outputs", "stderr",
    ]


def keepalived_argv(plan: LabPlan, node: str) -> list[str]:
    d = plan.keepalived_dir(node)
    return ["keepalived", "--dont-fork", "--log-console", "--log-detail", "--vrrp",
            "--use-file", str(d / "keepalived.conf"), "--pid", str(d / "keepalived.pid"),
            "--vrrp_pid", str(d / "vrrp.pid"), "--checkers_pid", str(d / "checkers.pid")]


def keepalived_conf(plan: LabPlan, node: str) -> str:
    n = plan.node(node)
    priority = 150 - 10 * plan.controlplane.index(n)
    # curl with --noproxy: lab traffic must never leave for a proxy from the environment.
    curl = "/usr/bin/curl --noproxy * -sf -m 0.8 -o /dev/null"
    # etcd's /health fails through a whole election (1-2 s) plus its own timeout: 5 misses.
    # kube-apiserver's /readyz rides out an election, but an apiserver whose only (local) etcd
    # member died stays unready: 3 misses move the VIP off it in ~3 s instead of ~5 s.
    ready_fall = 3 if plan.kube else 5
    if plan.kube:  # the VIP fronts the local kube-apiserver: its own liveness and readiness
        curl += f" --cacert {plan.state_dir / 'kubernetes' / 'pki' / 'ca.crt'}"
        alive, ready = (f"https://{n.address}:{plan.port}/{path}" for path in ("livez", "readyz"))
    else:
        alive, ready = (f"http://{n.address}:{plan.port}/{path}" for path in ("version", "health"))
    return f"""# generated by cluster-harness for lab node {node}
global_defs {{
    router_id {node}
    enable_script_security
    script_user root
    # Without these a healed split brain kept clients on the old MAC for > 16 s.
    vrrp_garp_lower_prio_repeat 3
    vrrp_garp_master_refresh 10
}}

# The local API is alive (fails fast: the VIP leaves a dead server within ~2 s).
vrrp_script etcd_alive {{
    script "{curl} {alive}"
    interval 1
    timeout 1
    fall 2
    rise 1
}}

# The local API is ready (etcd in a quorum). Never the only condition: every member fails it
# during an election, and all nodes dropping the VIP together turns 1 s into 6 s.
vrrp_script etcd_quorum {{
    script "{curl} {ready}"
    interval 1
    timeout 1
    fall {ready_fall}
    rise 1
}}

vrrp_instance controlplane {{
    state BACKUP
    nopreempt
    interface {NODE_IFACE}
    virtual_router_id {VRRP_ROUTER_ID}
    priority {priority}
    advert_int 1
    virtual_ipaddress {{
        {plan.vip}/{plan.prefix_length} dev {NODE_IFACE}
    }}
    track_script {{
        etcd_alive
        etcd_quorum
    }}
    notify "{plan.notify_script} {node}"
}}
"""


def notify_script(plan: LabPlan) -> str:
    """keepalived runs it on every state change: one `epoch node STATE` line, the ground truth."""
    return f"""#!/bin/sh
# $1 = node (ours), then keepalived's: $2 INSTANCE, $3 name, $4 MASTER|BACKUP|FAULT|STOP, $5 priority
printf '%s %s %s\\n' "$(date +%s.%N)" "$1" "$4" >> {plan.vip_events_path}
"""
