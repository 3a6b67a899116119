"""Ceph in the lab: a lab component bootstrapped by hand like vstart, daemons as plain processes.

`up` converges: keys, monmap and mon stores are made once; every daemon is started only if its
PID file names no live process; the OSD files are recreated whenever the cluster is new. It then
waits for what the suites check (quorum, OSDs up, PGs active+clean, the RGW answering) so the
first test does not race the bring-up. `down` stops RGW, OSDs, mgr, mons (that order: radosgw
hung > 30 s on SIGTERM when everything stopped at once) and removes every file, OSDs included.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from harness.targets.base import TargetError
from harness.targets.lab import cpu_quota, net, procs
from harness.targets.lab.ceph_config import (
    FREE_DISK_MIN_GIB,
    PG_NUM_BUCKET,
    PG_NUM_RBD,
    RBD_POOL,
    RGW_BUCKET_POOLS,
    S3_USER,
    STARVED_CPU,
    CephPlan,
    ceph_conf,
    cli,
    daemon_argv,
    key_caps,
    keyring_dir,
    make_ceph_plan,
    mon_addrv,
)
from harness.targets.lab.config import LabPlan
from harness.targets.lab.waiting import wait_until
from harness.workloads.ceph_status import CephStatus, parse_status

if TYPE_CHECKING:
    from harness.targets.lab.lifecycle import Lab

STOP_ORDER = ("radosgw", "ceph-osd", "ceph-mgr", "ceph-mon")
REQUIRED = ("ceph-mon", "ceph-mgr", "ceph-osd", "radosgw", "ceph", "rbd", "rados", "fio",
            "monmaptool", "ceph-authtool", "radosgw-admin")
PACKAGES = "ceph-mon ceph-mgr ceph-osd radosgw ceph-common fio"


def run(argv: list[str], *, timeout_s: float = 30, netns: str | None = None,
        input_text: str | None = None) -> str:
    full = ["ip", "netns", "exec", netns, *argv] if netns else argv
    try:
        done = subprocess.run(full, capture_output=True, text=True, timeout=timeout_s, check=False,
                              input=input_text)
    except subprocess.TimeoutExpired:
        raise TargetError(f"`{' '.join(argv[:4])} ...` did not finish within {timeout_s:g} s") from None
    if done.returncode != 0:
        raise TargetError(f"`{' '.join(argv[:6])}` failed: {(done.stderr or done.stdout).strip()[-300:]}")
    return done.stdout


def ceph_plan(lab: Lab) -> CephPlan:
    if not lab.plan.storage:
        raise TargetError("this lab runs no Ceph: the profile has lab.storage or storage.enabled off")
    return make_ceph_plan(lab.plan)


class CephCluster:
    """Operations on the running lab cluster, shared by the component, faults and storage."""

    def __init__(self, plan: CephPlan) -> None:
        self.plan = plan

    def ceph_json(self, *args: str, timeout_s: int = 10) -> str:
        return run(cli(self.plan, *args, "-f", "json", timeout_s=timeout_s), timeout_s=timeout_s + 5)

    def status(self, timeout_s: int = 10) -> CephStatus:
        return parse_status(self.ceph_json("status", timeout_s=timeout_s))

    def pid(self, node: str, service: str) -> int | None:
        return procs.read_pid(self.plan.lab.pid_path(node, service))

    def start(self, node: str, service: str) -> int:
        pid = self.pid(node, service)
        if pid is not None:
            return pid
        lab = self.plan.lab
        pid = procs.start(daemon_argv(self.plan, service, node), netns=node,
                          log=lab.log_path(node, service), pid_file=lab.pid_path(node, service))
        if (node, service) in self.plan.cpu_starved:  # defect: before it serves anything
            cpu_quota.limit(pid, lab=lab.bridge, daemon=f"{node}-{service}",
                            cpu_fraction=STARVED_CPU[service])
        return pid

    def start_node(self, node: str) -> None:
        """Power-on: the node's daemons start again (but for an OSD that does not, a defect)."""
        for service in self.plan.daemons(node):
            if not (service == "ceph-osd" and node == self.plan.no_autostart):
                self.start(node, service)

    def stop_all(self) -> None:
        for service in STOP_ORDER:
            pids = [p for n in self.plan.nodes if (p := self.pid(n.name, service)) is not None]
            procs.stop(pids, timeout_s=5.0)

    def rgw_answers(self, timeout_s: float = 1.0) -> bool:
        try:
            with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(
                    self.plan.rgw_endpoint, timeout=timeout_s) as response:
                return bool(response.status < 500)
        except urllib.error.HTTPError as error:
            return error.code < 500
        except (urllib.error.URLError, OSError):
            return False


def check_free_disk(plan: CephPlan) -> None:
    plan.dir.mkdir(parents=True, exist_ok=True)
    free_gib = shutil.disk_usage(plan.dir).free / (1 << 30)
    if free_gib < FREE_DISK_MIN_GIB:
        raise TargetError(f"Ceph's OSD files need {FREE_DISK_MIN_GIB} GiB free on {plan.dir}, "
                          f"only {free_gib:.1f} GiB is: a full OSD makes writes hang silently")


def bootstrap_files(plan: CephPlan) -> None:
    """Keys, monmap, ceph.conf: everything the daemons need before the first mon starts."""
    for sub in ("run", "log"):
        (plan.dir / sub).mkdir(parents=True, exist_ok=True)
    fsid = str(uuid.uuid4())
    plan.conf_path.write_text(ceph_conf(plan, fsid))
    for entity, caps in key_caps(plan).items():
        own = keyring_dir(plan, entity)
        path = plan.mon_keyring if entity == "mon." else (
            plan.admin_keyring if own is None else own / "keyring")
        path.parent.mkdir(parents=True, exist_ok=True)
        flags = [f for i in range(0, len(caps), 2) for f in ("--cap", caps[i], caps[i + 1])]
        run(["ceph-authtool", "--create-keyring", str(path), "--gen-key", "-n", entity, *flags])
        path.chmod(0o600)
        if entity != "mon.":
            run(["ceph-authtool", str(plan.mon_keyring), "--import-keyring", str(path)])
    monmap = plan.dir / "monmap"
    addrs = [a for m in plan.mons for a in ("--addv", m.name, mon_addrv(m))]
    run(["monmaptool", "--create", "--clobber", "--fsid", fsid, "--enable-all-features",
         "--set-min-mon-release", "pacific", *addrs, str(monmap)])
    with ThreadPoolExecutor(max_workers=len(plan.mons)) as pool:
        # Inside each namespace: in the root namespace mkfs finds no address in public_network.
        list(pool.map(lambda m: run(["ceph-mon", "--mkfs", "-i", m.name, "-c", str(plan.conf_path),
                                     "--monmap", str(monmap), "--keyring", str(plan.mon_keyring)],
                                    netns=m.name), plan.mons))


def make_osds(cluster: CephCluster) -> None:
    """Register every OSD and mkfs its bluestore file (fresh on each new cluster)."""
    plan = cluster.plan

    def one(index: int) -> None:
        node = plan.nodes[index]
        osd_uuid = str(uuid.uuid4())
        run(cli(plan, "osd", "new", osd_uuid, str(index)), timeout_s=20)
        run(["ceph-osd", "-i", str(index), "--mkfs", "--osd-uuid", osd_uuid, "-c", str(plan.conf_path)],
            netns=node.name, timeout_s=60)
        (plan.osd_dir(index) / "made").write_text(osd_uuid)

    with ThreadPoolExecutor(max_workers=len(plan.nodes)) as pool:
        list(pool.map(one, [i for i in range(len(plan.nodes))
                            if not (plan.osd_dir(i) / "made").exists()]))


def make_pools(cluster: CephCluster) -> None:
    """The RBD pool, and the RGW's bucket pools as Rook's CephObjectStore makes them with the
    store (a bare RGW makes them on the first bucket and the first PUT: 3 s measured, which the
    first S3 check would pay). A mon-only job: it runs while the OSDs are made and started, each
    pool's commands in order, the pools side by side (each CLI call costs about a second)."""
    plan = cluster.plan
    existing = {p["poolname"] for p in json.loads(cluster.ceph_json("osd", "lspools"))}

    def create(pool: str, pg_num: int) -> tuple[str, ...]:
        return ("osd", "pool", "create", pool, str(pg_num), str(pg_num), "replicated")
    size = str(plan.rbd_size)
    chains = {RBD_POOL: [create(RBD_POOL, PG_NUM_RBD),
                         ("osd", "pool", "set", RBD_POOL, "size", size, "--yes-i-really-mean-it"),
                         ("osd", "pool", "set", RBD_POOL, "min_size", str(plan.rbd_min_size)),
                         ("osd", "pool", "application", "enable", RBD_POOL, "rbd")]}
    for pool in RGW_BUCKET_POOLS:
        chains[pool] = [create(pool, PG_NUM_BUCKET), ("osd", "pool", "application", "enable", pool, "rgw")]

    def make(commands: list[tuple[str, ...]]) -> None:
        for command in commands:
            run(cli(plan, *command))
    wanted = [chain for pool, chain in chains.items() if pool not in existing]
    with ThreadPoolExecutor(max_workers=max(1, len(wanted))) as pool_makers:
        list(pool_makers.map(make, wanted))


def make_s3_user(plan: CephPlan) -> None:
    """The S3 user's keys go to a 0600 file only: never to a log, a run file or the terminal."""
    if plan.s3_keys_path.exists():
        return
    out = run(cli(plan, "user", "create", "--uid", S3_USER, "--display-name", "cluster-harness",
                  tool="radosgw-admin"), timeout_s=60)
    key = json.loads(out)["keys"][0]
    plan.s3_keys_path.touch(mode=0o600)
    plan.s3_keys_path.write_text(json.dumps({"access_key": key["access_key"],
                                             "secret_key": key["secret_key"]}))


class CephStorage:
    """The `LabComponent` (see components.py)."""

    name = "ceph"

    def wanted(self, plan: LabPlan) -> bool:
        return plan.storage

    def up(self, lab: Lab) -> str:
        plan = ceph_plan(lab)
        missing = [b for b in REQUIRED if shutil.which(b) is None]
        if missing:
            raise TargetError(f"the lab's Ceph needs {', '.join(missing)}: apt-get install {PACKAGES}")
        cluster = CephCluster(plan)
        if not plan.conf_path.exists():
            check_free_disk(plan)
            bootstrap_files(plan)
        net.node_up(plan.lab, plan.client)
        running_mons = [m.name for m in plan.mons if "ceph-mon" in plan.daemons(m.name)]  # mon-down
        for name in running_mons:
            cluster.start(name, "ceph-mon")
        cluster.start(plan.mgr.name, "ceph-mgr")

        def quorum() -> tuple[bool, str]:
            status = cluster.status(timeout_s=5)
            return len(status.quorum) == len(running_mons), status.summary()
        wait_until(quorum, timeout_s=30, what="mon quorum")
        with ThreadPoolExecutor(max_workers=1) as beside:
            pools = beside.submit(make_pools, cluster)
            make_osds(cluster)
            for node in plan.nodes:
                booted = (plan.osd_dir(plan.osd_id(node.name)) / "booted").exists()
                if "ceph-osd" in plan.daemons(node.name) or not booted:  # osd-down: boots once
                    cluster.start(node.name, "ceph-osd")
            pools.result()
        if not plan.rgw_down:
            cluster.start(plan.rgw.name, "radosgw")

        def standing() -> tuple[bool, str]:
            s = cluster.status(timeout_s=5)
            return s.osds_up == len(plan.nodes) and s.all_pgs_active_clean, s.summary()
        wait_until(standing, timeout_s=45, what="all OSDs up and all PGs active+clean")
        for index in range(len(plan.nodes)):
            (plan.osd_dir(index) / "booted").touch()
        if not plan.rgw_down:
            wait_until(lambda: (cluster.rgw_answers(), "no answer"), timeout_s=30,
                       what=f"the RGW answering at {plan.rgw_endpoint}")
            make_s3_user(plan)
        if plan.osd_down:  # defect: the cluster stood up whole, then loses this OSD for good
            pid = cluster.pid(plan.osd_down, "ceph-osd")
            if pid is not None:
                procs.kill_now([pid])

            def noticed() -> tuple[bool, str]:  # suites must see it down, not race the mons
                s = cluster.status(timeout_s=5)
                return s.osds_up < len(plan.nodes) and s.degraded and s.health != "HEALTH_OK", s.summary()
            wait_until(noticed, timeout_s=30, what=f"the OSD of {plan.osd_down} seen down")
        if plan.stats_period_s:  # defect: from here on the mgr's PG view goes stale
            cluster.ceph_json("config", "set", "mgr", "mgr_stats_period", str(plan.stats_period_s))
        status = cluster.status()
        return f"{status.health} {status.osds_up}/{status.osds} OSDs up, {status.pgs} PGs"

    def down(self, lab: Lab) -> None:
        plan = ceph_plan(lab)
        CephCluster(plan).stop_all()  # its CPU-quota groups go with the lab (Lab.down)
        if plan.client.name in net.namespaces():
            net.run("ip", "netns", "del", plan.client.name)
        if plan.client.root_iface in net.root_links():
            net.run("ip", "link", "del", plan.client.root_iface, check=False)
        shutil.rmtree(plan.dir, ignore_errors=True)  # OSD files included: nothing stays behind

    def running(self, lab: Lab) -> bool:
        plan = ceph_plan(lab)
        cluster = CephCluster(plan)
        return (plan.client.name in net.namespaces() and
                all(cluster.pid(n.name, s) is not None for n in plan.nodes for s in plan.daemons(n.name)))

    def node_started(self, lab: Lab, node: str) -> None:
        """Power-on hook: a node's Ceph daemons come back with it."""
        CephCluster(ceph_plan(lab)).start_node(node)
