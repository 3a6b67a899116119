"""Seeded lab defects: faults a profile switches on so that every check can be shown to fail.

A defect is `name` or `name:argument` (the argument names a node). Each entry says what it
breaks; the lab target implements it, and `tests/` prove the matching checks fail.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DefectKind:
    name: str
    breaks: str
    takes_node: bool = False


CATALOGUE: dict[str, DefectKind] = {
    kind.name: kind
    for kind in (
        DefectKind("vip-stuck", "keepalived never moves the control-plane VIP off its first holder"),
        DefectKind("slow-boot", "a rebooted node comes back 15 s after its power cycle, its services "
                   "with it (a lab node boots in half a second; an SBC booting Talos takes a minute)"),
        DefectKind("etcd-stop-kills", "etcd's supervisor stops it with SIGKILL (a unit's stop "
                   "signal set wrong): a stopped leader exits without handing its leadership over"),
        DefectKind("etcd-two-members", "etcd is configured with only cp1 and cp2; cp3 runs no member"),
        DefectKind("etcd-no-prevote", "etcd runs without --pre-vote: a healed partition forces an election"),
        DefectKind("etcd-split-brain", "cp3 bootstraps a cluster of its own: two members claim leadership"),
        DefectKind("etcd-slow-election", "etcd election timeout of 5 s: losing the leader stalls the API"),
        DefectKind("etcd-stalled-election", "etcd election timeout of 15 s: a killed leader is "
                   "back before any follower stands, and the API waits for it"),
        DefectKind("etcd-no-prevote-slow", "etcd runs without --pre-vote and with a 2.5 s election "
                   "timeout (as tuned for slow SD cards): a healed partition deposes the leader and "
                   "the cluster has none for 2.5-5 s"),
        DefectKind("vip-unassigned", "no keepalived runs: nobody holds the control-plane VIP"),
        DefectKind("vip-on-worker", "the VIP is configured statically on the worker, which runs no etcd"),
        DefectKind("congested-switch", "every node's link is shaped to 64 kbit/s, as on a saturated switch"),
        DefectKind("slow-link", "the named node's link is shaped to a tenth of the profile's rate", True),
        DefectKind("no-policy-enforcement", "network policies are accepted but never enforced"),
        DefectKind("egress-ignored", "network policies are enforced for ingress only; egress is ignored"),
        DefectKind("policy-enforcement-always", "Cilium's policy-enforcement-mode is `always`: a pod "
                   "no policy selects is isolated too, so only what policies allow flows"),
        DefectKind("lb-single-backend", "the load balancer sends every connection to its first backend"),
        DefectKind("announcer-stuck", "a load-balancer IP stays on its first announcer (no VRRP)"),
        DefectKind("announcer-split", "each node's LB keepalived has a virtual router id of its own: "
                   "every node claims the load-balancer IP"),
        DefectKind("lb-ip-outside-pool", "the lab's LB IPAM hands out the addresses right after the "
                   "profile's pool"),
        DefectKind("lb-wrong-target-port", "the load balancer forwards to a port its backends do not "
                   "serve (a Service's targetPort the pods never opened)"),
        DefectKind("clock-skew", "the named node's clock runs 30 s ahead (its commands run under faketime)",
                   True),
        DefectKind("disk-full", "the named node's data disk is a small, full filesystem", True),
        DefectKind("mon-down", "the named node's Ceph mon is in the monmap but never runs", True),
        DefectKind("osd-down", "the named node's Ceph OSD is stopped once the cluster stands", True),
        DefectKind("pool-size-2", "the RBD pool keeps 2 copies (min_size 1) instead of the profile's"),
        DefectKind("rgw-down", "the Ceph object gateway (S3) never starts"),
        DefectKind("pool-min-size-3", "the RBD pool needs all 3 copies to serve (min_size = size): "
                   "no OSD may stop"),
        DefectKind("osd-slow-markdown", "OSD heartbeat grace of 120 s: a dead node's OSD is not "
                   "marked down in time, I/O to its PGs stalls through the outage"),
        DefectKind("mgr-stats-stale", "once the cluster stands, the Ceph mgr asks the OSDs for PG "
                   "statistics every 10 min (mgr_stats_period 600, Ceph's default 5 s): health "
                   "goes on telling what the PGs were, never that they are degraded"),
        DefectKind("osd-cpu-starved", "the named node's Ceph OSD may use a twentieth of one CPU (a CFS "
                   "quota on its cgroup): every I/O it serves waits for CPU", True),
        DefectKind("rgw-request-limit", "the Ceph object gateway serves 1 request at a time "
                   "(rgw_max_concurrent_requests, 1024 by default, set for a small memory budget): "
                   "its throttler refuses the rest with 503 SlowDown"),
        DefectKind("rgw-cpu-starved", "the Ceph object gateway may use a twentieth of one CPU (a CFS "
                   "quota on its cgroup): S3 slows, RADOS does not"),
        DefectKind("osd-no-autostart", "the named node's Ceph OSD does not start when the node "
                   "powers on (as an OSD whose unit or device does not come up at boot)", True),
        DefectKind("apiserver-down", "Kubernetes lab: the named node's kube-apiserver never runs "
                   "(the VIP stays on the others)", True),
        DefectKind("kubelet-down", "Kubernetes lab: the named node's kubelet (its kwok) never "
                   "runs: the Node stays NotReady and pods bound to it stay Pending", True),
        DefectKind("kubelet-slow", "Kubernetes lab: the named node's kubelet (its kwok) turns a "
                   "pod Ready 6 s after it is bound", True),
        DefectKind("webhook-blackholed", "Kubernetes lab: a validating webhook on ConfigMap "
                   "creates and deletes in the harness's namespaces whose server never answers "
                   "(failurePolicy Ignore, 1 s timeout): every such call waits 1 s"),
        DefectKind("etcd-client-firewalled", "a firewall on the named node drops etcd client "
                   "connections to its own address from the switch (peers and the VIP pass)", True),
        DefectKind("etcd-cpu-starved", "every etcd member may use a fiftieth of one CPU (a CFS quota "
                   "on its cgroup, as a control plane throttled or limited too low): every API "
                   "call, reads included, waits for etcd"),
        DefectKind("old-kernel", "the named node reports a 2.6 kernel (its commands run with the "
                   "UNAME26 personality, the lab's stand-in for a node left on an old kernel)", True),
        DefectKind("wrong-mtu", "the named node's interface runs MTU 1400, not the profile's", True),
    )
}


@dataclass(frozen=True)
class Defect:
    kind: DefectKind
    node: str | None = None

    def __str__(self) -> str:
        return f"{self.kind.name}:{self.node}" if self.node else self.kind.name


def parse_defect(text: str, node_names: list[str]) -> Defect:
    """Parse `name[:node]`; raises ValueError with a sentence naming what is wrong."""
    name, _, argument = text.partition(":")
    kind = CATALOGUE.get(name)
    if kind is None:
        known = ", ".join(sorted(CATALOGUE))
        raise ValueError(f"unknown defect {name!r} (known: {known})")
    if kind.takes_node:
        if argument not in node_names:
            raise ValueError(f"defect {name!r} needs a node, as '{name}:<node>' (nodes: "
                             f"{', '.join(node_names)})")
        return Defect(kind, argument)
    if argument:
        raise ValueError(f"defect {name!r} takes no argument")
    return Defect(kind)
