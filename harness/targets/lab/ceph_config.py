"""The lab's Ceph plan: names, paths, ceph.conf and command lines, derived from the lab plan.

Pure functions (no root, no side effects), unit-tested. Every setting that is not a Ceph default
is here because LAB-NOTES ("Ceph") measured that it mattered on this machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Interface
from pathlib import Path

from harness.profile import parse_defect
from harness.targets.lab.config import LabNode, LabPlan, side_host

MON_V2_PORT = 3300
MON_V1_PORT = 6789
RGW_PORT = 7480
OSD_SIZE_GIB = 10  # 4 GiB filled up during benchmarks (LAB-NOTES): writes then hang silently
FREE_DISK_MIN_GIB = 16
"""Free space `up` insists on: bounded benchmarks (<= 2 GiB x 3 replicas), RGW and BlueFS overhead,
and sparse OSD files never shrink while the lab lives."""
OSD_MEMORY_TARGET = 1 << 30
RBD_POOL = "rbd"
PG_NUM_RBD = 32
PG_NUM_BUCKET = 4  # made at `up`: every PG is peered before the lab counts as up
PG_NUM_DEFAULT = 8  # RGW makes ~7 pools: small PG counts keep peering fast and memory low
RGW_REQUEST_LIMIT = 1
"""Defect `rgw-request-limit`: requests the gateway serves at once (the S3 clients run 8). At 2,
minio-go's retries of a refused request (up to 10, backing off) got warp's mixed load through
with no error once in a lab tier run; at 1 most attempts are refused."""
STALE_STATS_PERIOD_S = 600
"""Defect `mgr-stats-stale`: seconds between the OSDs' PG statistics (longer than any scenario)."""
RGW_BUCKET_POOLS = ("default.rgw.buckets.index", "default.rgw.buckets.data")
S3_USER = "harness"
CLI_TIMEOUT_S = 10
STARVED_CPU = {"ceph-osd": 0.05, "radosgw": 0.05}
"""The share of one CPU a starved daemon gets (defects `osd-cpu-starved`, `rgw-cpu-starved`)."""


@dataclass(frozen=True)
class CephPlan:
    lab: LabPlan
    nodes: tuple[LabNode, ...]
    """Every node runs one OSD; its id is the node's index."""
    mons: tuple[LabNode, ...]
    mgr: LabNode
    rgw: LabNode
    client: LabNode
    """The benchmark client: a host of its own on the switch, on its own shaped link."""
    size: int
    min_size: int
    rbd_size: int
    rbd_min_size: int
    osd_down: str | None = None
    """Defect `osd-down:<node>`: that node's OSD is stopped once the cluster stands."""
    mon_down: str | None = None
    """Defect `mon-down:<node>`: that node's mon is in the monmap but never runs."""
    rgw_down: bool = False
    heartbeat_grace_s: int | None = None
    """Defect `osd-slow-markdown`: peers wait this long before reporting a silent OSD down."""
    stats_period_s: int | None = None
    """Defect `mgr-stats-stale`: the mgr's `mgr_stats_period`, set once the cluster stands (at
    boot the cluster would never be seen active+clean)."""
    cpu_starved: tuple[tuple[str, str], ...] = ()
    """(node, service) pairs run under a CPU quota (`STARVED_CPU`)."""
    no_autostart: str | None = None
    """Defect `osd-no-autostart:<node>`: that node's OSD stays down when the node powers on."""
    rgw_max_requests: int | None = None
    """Defect `rgw-request-limit`: the gateway's `rgw_max_concurrent_requests` (Ceph's default
    1024); its throttler refuses requests past it with 503 SlowDown."""

    @property
    def dir(self) -> Path:
        return self.lab.state_dir / "ceph"

    @property
    def conf_path(self) -> Path:
        return self.dir / "ceph.conf"

    @property
    def admin_keyring(self) -> Path:
        return self.dir / "client.admin.keyring"

    @property
    def mon_keyring(self) -> Path:
        return self.dir / "mon.keyring"

    @property
    def s3_keys_path(self) -> Path:
        """The S3 user's keys, mode 0600: read by the harness, never printed."""
        return self.dir / "s3-user.json"

    def osd_id(self, node: str) -> int:
        return [n.name for n in self.nodes].index(node)

    def osd_dir(self, osd_id: int) -> Path:
        return self.dir / f"osd.{osd_id}"

    def mon_dir(self, node: str) -> Path:
        return self.dir / f"mon.{node}"

    @property
    def rgw_endpoint(self) -> str:
        return f"http://{self.rgw.address}:{RGW_PORT}"

    def daemons(self, node: str) -> tuple[str, ...]:
        """Ceph services of a node, in start order (stopped in reverse: RGW first, mons last)."""
        found = []
        if node in {m.name for m in self.mons} and node != self.mon_down:
            found.append("ceph-mon")
        if node == self.mgr.name:
            found.append("ceph-mgr")
        if node != self.osd_down:
            found.append("ceph-osd")
        if node == self.rgw.name and not self.rgw_down:
            found.append("radosgw")
        return tuple(found)


def client_node(lab: LabPlan) -> LabNode:
    """The last host address of the lab's subnet, on a shaped veth named after the bridge."""
    return side_host(lab, "cl", rate_kbit=max(n.rate_kbit for n in lab.nodes))


def make_ceph_plan(lab: LabPlan) -> CephPlan:
    defects = [parse_defect(t, [n.name for n in lab.nodes]) for t in lab.defects]
    kinds = {d.kind.name for d in defects}
    osd_down = next((d.node for d in defects if d.kind.name == "osd-down"), None)
    mon_down = next((d.node for d in defects if d.kind.name == "mon-down"), None)
    size, min_size = lab.replication
    cps = lab.controlplane or lab.nodes
    workers = [n for n in lab.nodes if not n.controlplane]
    rgw = (workers or list(lab.nodes))[-1]
    starved = [(d.node, "ceph-osd") for d in defects if d.kind.name == "osd-cpu-starved" and d.node]
    if "rgw-cpu-starved" in kinds:
        starved.append((rgw.name, "radosgw"))
    small = "pool-size-2" in kinds  # the RBD pool is made with 2 copies, 1 enough to serve
    return CephPlan(lab=lab, nodes=lab.nodes, mons=cps[:3], mgr=cps[0],
                    rgw=rgw, client=client_node(lab),
                    size=size, min_size=min_size,
                    rbd_size=2 if small else size,
                    rbd_min_size=1 if small else size if "pool-min-size-3" in kinds else min_size,
                    osd_down=osd_down, mon_down=mon_down, rgw_down="rgw-down" in kinds,
                    heartbeat_grace_s=120 if "osd-slow-markdown" in kinds else None,
                    stats_period_s=STALE_STATS_PERIOD_S if "mgr-stats-stale" in kinds else None,
                    cpu_starved=tuple(starved),
                    no_autostart=next((d.node for d in defects if d.kind.name == "osd-no-autostart"), None),
                    rgw_max_requests=RGW_REQUEST_LIMIT if "rgw-request-limit" in kinds else None)


def mon_addrv(node: LabNode) -> str:
    return f"[v2:{node.address}:{MON_V2_PORT},v1:{node.address}:{MON_V1_PORT}]"


def ceph_conf(plan: CephPlan, fsid: str) -> str:
    d = plan.dir
    lab = plan.lab
    network = IPv4Interface(f"{lab.workstation}/{lab.prefix_length}").network
    sections = [f"""# generated by cluster-harness for lab {lab.bridge}
[global]
fsid = {fsid}
mon_host = {",".join(mon_addrv(m) for m in plan.mons)}
public_network = {network}
auth_cluster_required = cephx
auth_service_required = cephx
auth_client_required = cephx
auth_allow_insecure_global_id_reclaim = false
run_dir = {d}/run
log_file = {d}/log/$cluster-$name.log
mon_cluster_log_file = {d}/log/$cluster.log
admin_socket = {d}/run/$cluster-$name.asok
osd_pool_default_size = {plan.size}
osd_pool_default_min_size = {plan.min_size}
osd_pool_default_pg_num = {PG_NUM_DEFAULT}
osd_pool_default_pgp_num = {PG_NUM_DEFAULT}
osd_pool_default_pg_autoscale_mode = off
mon_allow_pool_delete = true
mon_data_avail_warn = 1
mon_data_avail_crit = 0
ms_bind_ipv6 = false
{f"osd_heartbeat_grace = {plan.heartbeat_grace_s}" if plan.heartbeat_grace_s else ""}

[mon]
mon_data = {d}/mon.$id
# First-boot elections wait out a mon that started a moment late: 5 s by default, 0.4-10 s of
# quorum waits measured; the lab's mons are a bridge hop apart.
mon_election_timeout = 1
keyring = {d}/mon.$id/keyring

[mgr]
mgr_data = {d}/mgr.$id
keyring = {d}/mgr.$id/keyring

[osd]
osd_data = {d}/osd.$id
keyring = {d}/osd.$id/keyring
osd_objectstore = bluestore
# Without bluestore_block_path: a self-pointing path ends in "Too many levels of symbolic links".
bluestore_block_create = true
bluestore_block_size = {OSD_SIZE_GIB << 30}
osd_memory_target = {OSD_MEMORY_TARGET}

# Only here, never in [global]: there it overrides the daemons' own keyrings (mons stay probing).
[client]
keyring = {plan.admin_keyring}
admin_socket = {d}/run/$cluster-$name.$pid.$cctid.asok
log_file = /dev/null
"""]
    for node in plan.mons:
        sections.append(f"[mon.{node.name}]\npublic_addr = {node.address}\n")
    sections.append(f"[mgr.{plan.mgr.name}]\npublic_addr = {plan.mgr.address}\n")
    for index, node in enumerate(plan.nodes):
        # All namespaces share one hostname: without a host per OSD, size-3 PGs never go clean.
        sections.append(f"[osd.{index}]\ncrush_location = root=default host={node.name}\n"
                        f"public_addr = {node.address}\ncluster_addr = {node.address}\n")
    rgw = plan.rgw
    sections.append(f"""[client.rgw.{rgw.name}]
keyring = {d}/rgw.{rgw.name}/keyring
rgw_data = {d}/rgw.{rgw.name}
rgw_frontends = beast endpoint={rgw.address}:{RGW_PORT}
log_file = {d}/log/$cluster-$name.log
public_addr = {rgw.address}
""" + (f"rgw_max_concurrent_requests = {plan.rgw_max_requests}\n" if plan.rgw_max_requests else ""))
    return "\n".join(sections)


def daemon_argv(plan: CephPlan, service: str, node: str) -> list[str]:
    conf = ["-c", str(plan.conf_path)]
    if service == "ceph-mon":
        return ["ceph-mon", "-f", "-i", node, *conf]
    if service == "ceph-mgr":
        return ["ceph-mgr", "-f", "-i", node, *conf]
    if service == "ceph-osd":
        return ["ceph-osd", "-f", "-i", str(plan.osd_id(node)), *conf]
    if service == "radosgw":
        return ["radosgw", "-f", "-n", f"client.rgw.{node}", *conf]
    raise ValueError(f"unknown Ceph service {service!r}")


def cli(plan: CephPlan, *args: str, tool: str = "ceph", timeout_s: int = CLI_TIMEOUT_S) -> list[str]:
    """A Ceph CLI call that cannot block for 300 s without quorum (LAB-NOTES)."""
    if tool == "ceph":
        return ["ceph", "-c", str(plan.conf_path), "--connect-timeout", str(timeout_s), *args]
    return [tool, "-c", str(plan.conf_path), *args]


def key_caps(plan: CephPlan) -> dict[str, list[str]]:
    """Every key the mons know from birth, with its caps (ceph-authtool --cap pairs)."""
    caps = {"mon.": ["mon", "allow *"],
            "client.admin": ["mon", "allow *", "osd", "allow *", "mgr", "allow *", "mds", "allow *"],
            f"mgr.{plan.mgr.name}": ["mon", "allow profile mgr", "osd", "allow *", "mds", "allow *"],
            f"client.rgw.{plan.rgw.name}": ["mon", "allow rw", "osd", "allow rwx", "mgr", "allow rw"]}
    for index in range(len(plan.nodes)):
        caps[f"osd.{index}"] = ["mon", "allow profile osd", "osd", "allow *", "mgr", "allow profile osd"]
    return caps


def keyring_dir(plan: CephPlan, entity: str) -> Path | None:
    """Where a daemon's own keyring lives (None for the mons' and the admin's shared files)."""
    kind, _, name = entity.partition(".")
    if kind == "mgr":
        return plan.dir / f"mgr.{name}"
    if kind == "osd":
        return plan.osd_dir(int(name))
    if entity.startswith("client.rgw."):
        return plan.dir / f"rgw.{entity.removeprefix('client.rgw.')}"
    return None
