"""Bring the lab up, take it down, say what runs: idempotent, converging from any half-built state.

`up` walks the same steps every time and each step only adds what is missing, so a crashed or
interrupted `up` is finished by the next one. `down` kills by PID, deletes namespaces and the
bridge, and removes the state directory: nothing is left behind.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network

from harness.errors import HarnessError
from harness.targets.base import TargetError
from harness.targets.lab import cpu_quota, labs_here, load_host, net, policy_peers, procs
from harness.targets.lab.components import wanted_components
from harness.targets.lab.config import (
    LabPlan,
    etcd_argv,
    keepalived_argv,
    keepalived_conf,
    notify_script,
)
from harness.targets.lab.etcd_api import EtcdClient
from harness.targets.lab.host import sweep_faketime

LAB_RANGE = IPv4Network("198.18.0.0/15")
PLAN_FILE = "plan.txt"  # what the running lab was built from: defects differ -> rebuild
# binary -> the Debian package that ships it
KUBE_LAB_SERVICES = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")
REQUIRED = {"etcd": "etcd-server", "keepalived": "keepalived", "nft": "nftables", "ip": "iproute2",
            "tc": "iproute2", "curl": "curl"}


@dataclass(frozen=True)
class Step:
    """Progress of `up`: reported when a step starts (`seconds` None) and when it ends."""

    name: str
    seconds: float | None = None
    detail: str = ""


Progress = Callable[[Step], None]


def _quiet(step: Step) -> None:
    """The library stays silent unless a caller (the CLI) asks for progress."""


@dataclass(frozen=True)
class NodeStatus:
    name: str
    namespace: bool
    link_up: bool
    services: dict[str, int | None] = field(default_factory=dict)
    """Service -> PID when running, None when it should run but does not."""

    @property
    def running(self) -> bool:
        return self.namespace and self.link_up and all(self.services.values())


@dataclass(frozen=True)
class LabStatus:
    bridge: bool
    nodes: tuple[NodeStatus, ...]
    components: dict[str, bool] = field(default_factory=dict)
    """Optional parts (pods, Ceph) the profile wants -> running."""

    @property
    def running(self) -> bool:
        return self.bridge and all(n.running for n in self.nodes) and all(self.components.values())

    @property
    def anything(self) -> bool:
        return self.bridge or any(n.namespace for n in self.nodes)


def preflight(plan: LabPlan) -> None:
    """Refuse with one sentence what cannot work: not root, packages missing, addresses off-lab."""
    if os.geteuid() != 0:
        raise HarnessError("the lab needs root: run as root (sudo)")
    path = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"
    missing = sorted({pkg for binary, pkg in REQUIRED.items() if not shutil.which(binary, path=path)})
    if missing:
        names = " ".join(missing)
        raise HarnessError(f"the lab needs Debian packages {names}: apt-get install {names}")
    outside = [a for a in (plan.workstation, plan.vip, *(n.address for n in plan.nodes))
               if IPv4Address(a) not in LAB_RANGE]
    if outside:
        raise HarnessError(f"lab addresses must stay in {LAB_RANGE}; the profile has {', '.join(outside)}")


ETCD_STARVED_CPU = 0.02
"""`etcd-cpu-starved`: each member's share of one CPU. Measured on the Kubernetes lab (2026-12-06,
8 API clients): at 0.05 reads slow from p99 55 to 320 ms, still under the lab's 500 ms limit; at
0.02 every verb's p99 is 0.7-1.4 s, with no failed call and pods still Ready within a second.
An apiserver does not start against members this slow (no /readyz within 60 s): the quota is set
once the lab stands."""
FULL_DISK_MIB = 32  # `disk-full`: a tmpfs this small, filled to the last block


def _make_data_disks(plan: LabPlan) -> None:
    full = plan.defect_node("disk-full")
    for node in plan.nodes:
        path = plan.data_dir(node.name)
        path.mkdir(parents=True, exist_ok=True)
        if node.name == full and not os.path.ismount(path):
            net.run("mount", "-t", "tmpfs", "-o", f"size={FULL_DISK_MIB}m", f"{plan.bridge}-disk", str(path))
            # Fill it: writing past the end fails with ENOSPC, which is the point.
            net.run("dd", "if=/dev/zero", f"of={path / 'filler'}", "bs=1M", f"count={FULL_DISK_MIB + 1}",
                    check=False)


class Lab:
    """The lab described by a plan, on this machine."""

    def __init__(self, plan: LabPlan, progress: Progress | None = None) -> None:
        self.plan = plan
        self.progress = progress or _quiet

    @contextmanager
    def _step(self, name: str) -> Iterator[list[str]]:
        """Time one step; the body may append a detail shown with its timing."""
        detail: list[str] = []
        self.progress(Step(name))
        began = time.monotonic()
        yield detail
        self.progress(Step(name, time.monotonic() - began, " ".join(detail)))

    # --- services -------------------------------------------------------------------------
    def service_pid(self, node: str, service: str) -> int | None:
        return procs.read_pid(self.plan.pid_path(node, service))

    def start_service(self, node: str, service: str) -> int:
        """Start one service unless it runs already; returns its PID."""
        pid = self.service_pid(node, service)
        if pid is not None:
            return pid
        plan = self.plan
        if service == "etcd":
            plan.etcd_data_dir(node).mkdir(parents=True, exist_ok=True)
            argv = etcd_argv(plan, node)
            if plan.kube:  # Kubernetes 1.37 wants etcd >= 3.5: the one built with it, not Debian's 3.4
                from harness.targets.lab.kube import binaries

                argv[0] = str(binaries() / "etcd")
        elif service == "keepalived":
            directory = plan.keepalived_dir(node)
            directory.mkdir(parents=True, exist_ok=True)
            for stale in directory.glob("*.pid"):  # keepalived refuses to start over a live-looking pid file
                stale.unlink()
            (directory / "keepalived.conf").write_text(keepalived_conf(plan, node))
            plan.notify_script.write_text(notify_script(plan))
            plan.notify_script.chmod(0o700)
            argv = keepalived_argv(plan, node)
        elif plan.kube and service in KUBE_LAB_SERVICES:
            from harness.targets.lab.kube import service_argv

            argv = service_argv(plan, node, service)
        else:
            raise TargetError(f"unknown lab service {service!r} (lab services: etcd, keepalived"
                              f"{', ' + ', '.join(KUBE_LAB_SERVICES) if plan.kube else ''})")
        if service not in plan.services(node):
            raise TargetError(f"{node} runs no {service} in this lab")
        pid = procs.start(argv, netns=node, log=plan.log_path(node, service),
                          pid_file=plan.pid_path(node, service))
        if service == "etcd" and cpu_quota.group_path(plan.bridge, f"{node}-etcd").is_dir():
            self._starve_etcd(node, pid)  # a member restarted (power-on) stays as throttled
        return pid

    def _starve_etcd(self, node: str, pid: int) -> None:
        cpu_quota.limit(pid, lab=self.plan.bridge, daemon=f"{node}-etcd", cpu_fraction=ETCD_STARVED_CPU)

    def node_pids(self, node: str) -> list[int]:
        """Every process of a node: tracked daemons plus whatever lives in its namespace."""
        tracked = [self.service_pid(node, s) for s in self.plan.services(node)]
        return sorted({*procs.netns_pids(node), *(p for p in tracked if p is not None)})

    # --- lifecycle ------------------------------------------------------------------------
    def up(self) -> float:
        """Converge to a running lab; returns the seconds it took."""
        began = time.monotonic()
        plan = self.plan
        with self._step("preflight"):
            preflight(plan)
            if others := labs_here.labs_beside(plan):
                raise HarnessError(f"another lab is up on this machine ({others[0]}), on the switch and "
                                   "node names this one needs: `harness lab down` takes it down")
            plan.state_dir.mkdir(parents=True, exist_ok=True)
            labs_here.record(plan)
            (plan.state_dir / PLAN_FILE).write_text(repr(plan))
        with self._step(f"switch {plan.bridge}") as detail:
            net.bridge_up(plan)
            detail.append(f"{plan.workstation}/{plan.prefix_length}")
        with self._step("nodes") as detail:
            for node in plan.nodes:
                if net.node_up(plan, node):
                    # A fresh namespace: anything still tracked lives in a dead one.
                    procs.kill_now(p for p in (self.service_pid(node.name, s) for s in
                                               plan.services(node.name)) if p is not None)
                net.partition(node, on=False)
                if node.controlplane and self.service_pid(node.name, "keepalived") is None:
                    net.reset_addresses(plan, node)  # no stale VIP from an earlier life
                net.link(node, up=True)
                detail.append(node.name)
            if plan.static_vip_node():
                net.add_static_vip(plan, plan.node(plan.static_vip_node() or ""))
            _make_data_disks(plan)
        with self._step("etcd") as detail:
            for node in plan.etcd_members:
                self.start_service(node.name, "etcd")
                detail.append(node.name)
        with self._step("etcd leader") as detail:
            detail.append(self.wait_leader(timeout_s=15.0))
        with self._step("keepalived") as detail:
            for node in plan.vrrp_nodes:
                self.start_service(node.name, "keepalived")
                detail.append(node.name)
        with ThreadPoolExecutor(max_workers=1) as beside:
            vip = None
            if plan.vip_served and not plan.kube:  # on the Kubernetes lab the VIP waits for the API
                # VRRP's master-down timer (~3.5 s) is waiting, not work, and nothing below needs
                # the VIP: Ceph comes up meanwhile.
                vip = beside.submit(self._wait_vip_step)
            for component in wanted_components(plan):
                with self._step(component.name) as detail:
                    detail.append(component.up(self))
            if vip is not None:
                vip.result()
        if "etcd-cpu-starved" in plan.defects:
            # Once the lab stands: an apiserver does not even start against members this slow.
            with self._step("etcd throttled") as detail:
                for node in plan.etcd_members:
                    self._starve_etcd(node.name, self.start_service(node.name, "etcd"))
                    detail.append(f"{node.name} {ETCD_STARVED_CPU:g} CPU")
        return time.monotonic() - began

    def _wait_vip_step(self) -> None:
        with self._step(f"VIP {self.plan.vip}") as detail:
            detail.append(self.wait_vip(timeout_s=15.0))

    def wait_leader(self, timeout_s: float) -> str:
        """Wait until every member answers and agrees on one leader; returns its node."""
        deadline = time.monotonic() + timeout_s
        last = "no member answered"
        # A seeded client firewall hides a member from us, not from its peers: the others tell.
        firewalled = {d.partition(":")[2] for d in self.plan.defects
                      if d.startswith("etcd-client-firewalled:")}
        while time.monotonic() < deadline:
            try:
                statuses = {n.name: EtcdClient(n.address, self.plan.etcd_port).status(0.5)
                            for n in self.plan.etcd_members if n.name not in firewalled}
            except TargetError as error:
                last = str(error)
            else:
                leaders = {s.leader_id for s in statuses.values()}
                # A split brain has one leader per side: every member having one is as good as it gets.
                if 0 not in leaders and (len(leaders) == 1 or self.plan.split_brain):
                    return ",".join(n for n, s in statuses.items() if s.member_id in leaders)
                last = "members do not agree on a leader yet"
            time.sleep(0.1)
        raise TargetError(f"etcd did not elect a leader within {timeout_s:g} s: {last}")

    def wait_vip(self, timeout_s: float) -> str:
        """Wait until the VIP answers a roundtrip; returns the holder's name."""
        deadline = time.monotonic() + timeout_s
        last = "nobody holds it"
        client = EtcdClient(self.plan.vip, self.plan.port)
        while time.monotonic() < deadline:
            holders = [n.name for n in self.plan.controlplane if self.plan.vip in net.addresses(n)]
            if holders:
                try:
                    client.roundtrip("harness/up", str(time.time()), 1.0)
                    return ",".join(holders)
                except TargetError as error:
                    last = str(error)
            time.sleep(0.1)
        raise TargetError(f"VIP {self.plan.vip} did not answer within {timeout_s:g} s: {last}")

    def down(self, *, beside: bool = True) -> float:
        """Stop and remove the lab, and (`beside`) every other lab up on its switch and node
        names: taking this one down would leave them without either."""
        began = time.monotonic()
        plan = self.plan
        for state_dir in labs_here.labs_beside(plan) if beside else []:
            with self._step(f"the lab in {state_dir}"):
                other = labs_here.plan_in(state_dir)
                if other is not None:
                    Lab(other).down(beside=False)
                elif stuck := labs_here.sweep(state_dir):
                    raise TargetError(f"lab down: {len(stuck)} process(es) of the lab in {state_dir} would "
                                      f"not go within 5 s of SIGKILL: {procs.describe(stuck)}")
        for component in reversed(wanted_components(plan)):
            component.down(self)
        present = net.namespaces()
        pids = [p for n in plan.nodes for p in (self.node_pids(n.name) if n.name in present else
                                                 [self.service_pid(n.name, s) for s in plan.services(n.name)])
                if p is not None]
        stuck = procs.kill_now(pids)  # nothing to say goodbye to: the whole switch goes away next
        procs.reap()
        cpu_quota.remove_all(plan.bridge)  # the CPU-quota defects' groups, etcd's and Ceph's
        policy_peers.remove(plan)
        load_host.remove(plan)  # locust workers a killed run left there
        # clock-skew's libfaketime files in /dev/shm that kwok's exec'd commands (the Kubernetes
        # lab) left: only those of processes that are gone, garbage whoever made them.
        sweep_faketime(set())
        net.teardown(plan)
        self._remove_state()
        if stuck:
            raise TargetError(f"lab down: {len(stuck)} process(es) would not go within 5 s of SIGKILL: "
                              f"{procs.describe(stuck)}")
        return time.monotonic() - began

    def _remove_state(self) -> None:
        state = self.plan.state_dir
        if not state.exists():
            return
        labs_here.unmount_disks(state)
        if (state / labs_here.STATE_MARKER).exists():
            shutil.rmtree(state)
        else:  # not made by us as a whole: remove only what the lab writes
            for name in ("logs", "pids", "etcd", "keepalived", "kubernetes", self.plan.vip_events_path.name):
                path = state / name
                if path.is_dir():
                    shutil.rmtree(path)
                elif path.exists():
                    path.unlink()
        parent = state.parent
        if parent.name == "cluster-harness" and not any(parent.iterdir()):
            parent.rmdir()

    def built_from_this_plan(self) -> bool:
        try:
            return (self.plan.state_dir / PLAN_FILE).read_text() == repr(self.plan)
        except OSError:
            return False

    def status(self) -> LabStatus:
        procs.reap()
        plan = self.plan
        present = net.namespaces()
        nodes = tuple(NodeStatus(name=n.name, namespace=n.name in present, link_up=net.link_is_up(n),
                                 services={s: self.service_pid(n.name, s) for s in plan.services(n.name)})
                      for n in plan.nodes)
        components = {c.name: c.running(self) for c in wanted_components(plan)}
        return LabStatus(bridge=plan.bridge in net.root_links(), nodes=nodes, components=components)
