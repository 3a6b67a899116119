"""`LabTarget`: the Target contract on the lab (namespaces, etcd, keepalived on this machine)."""

from __future__ import annotations

import itertools
import platform
import re
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from harness.errors import HarnessError
from harness.profile import Profile
from harness.targets.base import ControlPlane, Faults, Member, NodeInfo, Target, TargetError
from harness.targets.lab import net
from harness.targets.lab.config import LabPlan, make_plan
from harness.targets.lab.etcd_api import EtcdClient, Status
from harness.targets.lab.faults import LabFaults
from harness.targets.lab.groundtruth import LabEventLog
from harness.targets.lab.lifecycle import Lab, Step
from harness.targets.planning import PlanSink

if TYPE_CHECKING:
    from harness.targets.lab.network import LabNetwork
    from harness.targets.lab.storage import LabStorage


class LabControlPlane(ControlPlane):
    def __init__(self, plan: LabPlan, lab: Lab) -> None:
        self.plan = plan
        self.lab = lab
        self._sequence = itertools.count()  # a fresh value per roundtrip: a stale read cannot pass

    @property
    def endpoint(self) -> str:
        return f"{self.plan.vip}:{self.plan.port}"

    def members(self, timeout_s: float = 2.0) -> list[Member]:
        nodes = self.plan.etcd_members

        def ask(address: str) -> Status | str:
            try:
                return EtcdClient(address, self.plan.etcd_port).status(timeout_s, with_members=True)
            except TargetError as error:
                return str(error)

        # In parallel: a powered-off member costs one timeout, not one per member.
        with ThreadPoolExecutor(max_workers=len(nodes) or 1) as pool:
            answers = list(pool.map(ask, [n.address for n in nodes]))
        members = []
        for node, answer in zip(nodes, answers, strict=True):
            if isinstance(answer, str):
                members.append(Member(node.name, node.name, healthy=False, is_leader=False, error=answer))
                continue
            problem = ("no leader" if answer.leader_id == 0 else "; ".join(answer.errors)) or None
            members.append(Member(node.name, node.name, healthy=problem is None,
                                  is_leader=answer.member_id == answer.leader_id, error=problem,
                                  term=answer.raft_term, cluster_id=f"{answer.cluster_id:x}",
                                  peers=answer.members))
        return members

    def vip_holder(self) -> str | None:
        # Every node, not just control-plane ones: a misplaced VIP must show where it is.
        holders = [n for n in self.plan.nodes
                   if net.link_is_up(n) and self.plan.vip in net.addresses(n)]
        if len(holders) <= 1:
            return holders[0].name if holders else None
        # Split brain or a stale address: the holder that serves is the one the workstation can
        # reach and whose MAC its ARP entry names.
        reachable = [n for n in holders if not net.is_partitioned(n)] or holders
        arp = net.workstation_mac_for(self.plan, self.plan.vip)
        serving = [n for n in reachable if arp is not None and net.mac(n) == arp]
        return (serving or reachable)[0].name

    def roundtrip(self, timeout_s: float = 1.0) -> None:
        value = f"vip-{next(self._sequence)}"
        EtcdClient(self.plan.vip, self.plan.port).roundtrip(f"harness/roundtrip/{value}", value,
                                                            timeout_s)

    def roundtrip_direct(self, node: str, timeout_s: float = 1.0) -> None:
        member = self.plan.node(node)
        if not member.etcd:
            raise TargetError(f"{node} runs no etcd member in this lab")
        value = f"{node}-{next(self._sequence)}"
        EtcdClient(member.address, self.plan.etcd_port).roundtrip(f"harness/roundtrip/{value}",
                                                                  value, timeout_s)


CLOCK_SKEW_S = 30  # defect `clock-skew`


class LabTarget(Target):
    kind = "lab"

    def __init__(self, profile: Profile, *, run_id: str | None = None,
                 plan: PlanSink | None = None) -> None:
        super().__init__(profile, run_id=run_id, plan=plan)
        try:
            self.plan = make_plan(profile)
        except ValueError as error:
            raise HarnessError(f"profile {profile.name}: {error}") from None
        self.lab = Lab(self.plan)
        self.events: LabEventLog = LabEventLog(plan=self.plan)
        self.events.skip_history()
        self._controlplane = LabControlPlane(self.plan, self.lab)
        self._faults = LabFaults(self.plan, self.lab, self.events)
        self._started = False

    def no_plan_sentence(self) -> str:
        return ("the lab target is this machine's own lab and has no dry run: run it for real "
                "(harness lab up, then pytest)")

    def show_progress(self, write: Callable[[str], None]) -> None:
        """Say each step of a lab `up` as it finishes, with its time (a pytest session's lines)."""

        def show(step: Step) -> None:
            if step.seconds is not None:
                write(f"lab up: {step.name} {step.seconds:.2f} s{'  ' + step.detail if step.detail else ''}")

        self.lab.progress = show

    def prepare(self) -> None:
        """Reuse a running lab built from this very plan; otherwise (re)build it."""
        status = self.lab.status()
        same_plan = status.anything and self.lab.built_from_this_plan()
        if status.running and same_plan:
            return
        if same_plan:  # this lab, a node short (powered off by a run that died): converge, and it
            self.lab.up()  # stays up after the session, as whoever brought it up left it
            return
        if status.anything:
            self.lab.down()  # built from another profile or other defects: start clean
        self._started = True  # before up(): an interrupted up is still ours to take down
        self.lab.up()

    def release(self) -> None:
        if "_network" in self.__dict__:
            self.network.close_agents()
        if self._started:
            self.lab.down()
            self._started = False

    def nodes(self) -> list[NodeInfo]:
        status = {n.name: n for n in self.lab.status().nodes}
        return [NodeInfo(name=n.name, address=str(n.address), roles=tuple(str(r) for r in n.roles),
                         ready=status[n.name].running) for n in self.profile.nodes]

    @property
    def controlplane(self) -> LabControlPlane:
        return self._controlplane

    @property
    def faults(self) -> Faults:
        return self._faults

    @property
    def network(self) -> LabNetwork:
        """Pods, load balancers, policies and iperf3 on the lab (built on first use)."""
        from harness.targets.lab.network import LabNetwork  # the network slice imports lazily

        found = self.__dict__.get("_network")
        if not isinstance(found, LabNetwork):
            found = self.__dict__["_network"] = LabNetwork(plan=self.plan, profile=self.profile,
                                                           events=self.events)
        return found

    @property
    def storage(self) -> LabStorage:
        """Ceph on the lab: health, RBD volumes and S3 buckets (built on first use)."""
        from harness.targets.lab.ceph_config import make_ceph_plan
        from harness.targets.lab.storage import LabStorage  # the storage slice imports lazily

        if not self.plan.storage:
            raise TargetError(f"profile {self.profile.name} runs the lab without Ceph "
                              "(lab.storage or storage.enabled is false)")
        found = self.__dict__.get("_storage")
        if not isinstance(found, LabStorage):
            found = self.__dict__["_storage"] = LabStorage(make_ceph_plan(self.plan))
        return found

    def host(self, node: str) -> Any:
        """A testinfra `Host` running commands in the node's namespace (`netns://<node>`)."""
        from harness.targets.lab.host import lab_host

        try:
            self.plan.node(node)
        except KeyError as error:
            raise TargetError(str(error.args[0])) from None
        skewed = self.plan.defect_node("clock-skew") == node
        return lab_host(node, clock_offset_s=CLOCK_SKEW_S if skewed else 0,
                        old_kernel=self.plan.defect_node("old-kernel") == node)

    def data_path(self, node: str) -> str:
        """The node's data disk: a directory of the lab's state (a full tmpfs under `disk-full`)."""
        return str(self.plan.data_dir(self.plan.node(node).name))

    def components(self) -> dict[str, str]:
        found = {}
        etcd = "etcd"
        if self.plan.kube:  # the Kubernetes lab runs the etcd built beside its apiserver
            from harness.targets.lab.kube import binaries

            etcd = str(binaries() / "etcd")
        tools = [("etcd", [etcd, "--version"]), ("keepalived", ["keepalived", "--version"]),
                 ("nftables", ["nft", "--version"]), ("iperf3", ["iperf3", "--version"])]
        if self.plan.storage:
            tools += [("ceph", ["ceph", "--version"]), ("fio", ["fio", "--version"])]
        for name, argv in tools:
            try:
                out = subprocess.run(argv, capture_output=True, text=True, timeout=5, check=False)
            except (OSError, subprocess.TimeoutExpired):
                continue
            # "etcd Version: 3.4.23", "fio-3.33", "iperf 3.12 (cJSON ...)", "nftables v1.0.6"
            match = re.search(r"(?<![\w.])v?(\d+\.\d+(?:\.\d+)?)", out.stdout + out.stderr)
            if match:
                found[name] = match.group(1)
        found["kernel"] = platform.release()  # every lab node runs on this machine's kernel
        return found
