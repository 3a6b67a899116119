"""Faults on the lab, emulated the way LAB-NOTES found faithful; each stamps its instant.

Power-off cuts the switch port before any process dies: a process killed while its link is up
can say goodbye (keepalived's child sends a priority-0 advert) and fake a fast failover.
Every fault returns an undo that is safe to call twice.

`kill` is a crash (SIGKILL); `stop` is what a supervisor's stop does (Talos' `service stop`:
SIGTERM to the service's processes, SIGKILL only after a grace period). etcd answers SIGTERM by
stopping its server gracefully, and a leader hands its leadership over first, so the lab needs
no `etcdctl move-leader` to stop etcd the way a Talos node does.
"""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

from harness.targets.base import Faults, TargetError, Undo
from harness.targets.lab import net, procs
from harness.targets.lab.components import node_started
from harness.targets.lab.config import LabNode, LabPlan, shaped_rate_kbit
from harness.targets.lab.groundtruth import LabEventLog
from harness.targets.lab.lifecycle import Lab

REBOOT_S = 0.5
"""A healthy lab node's power cycle: peers see it gone, then it is back with its services."""
SLOW_BOOT_S = 15.0
"""Defect `slow-boot`: the node is back this long after its power cycle, as a slow machine
booting; past every availability SLO of the lab profile (6 s), short of the reboot scenarios'
recovery timeout."""
GRACEFUL_STOP_S = 10.0
"""How long a stopped service may take to exit before SIGKILL (etcd's leadership transfer takes
about one election timeout)."""


def _descendants(pid: int, candidates: list[int]) -> list[int]:
    """`pid` and its children among `candidates` (keepalived forks a VRRP child and scripts)."""
    parent_of = {}
    for candidate in candidates:
        try:
            stat = Path(f"/proc/{candidate}/stat").read_text()
        except FileNotFoundError:
            continue
        parent_of[candidate] = int(stat.rsplit(")", 1)[1].split()[1])
    family = {pid}
    grew = True
    while grew:
        more = {c for c, parent in parent_of.items() if parent in family} - family
        family |= more
        grew = bool(more)
    return sorted(family)


class LabFaults(Faults):
    def __init__(self, plan: LabPlan, lab: Lab, events: LabEventLog) -> None:
        self.plan = plan
        self.lab = lab
        self.events = events

    def _node(self, name: str) -> LabNode:
        try:
            return self.plan.node(name)
        except KeyError as error:
            raise TargetError(str(error.args[0])) from None

    def power_off(self, node: str) -> Undo:
        n = self._node(node)
        pids = self.lab.node_pids(node)
        # Freeze first: keepalived watches its carrier over netlink and, given a few ms, runs
        # its FAULT transition (drops the VIP, notifies) - a reaction no dead machine has.
        # Frozen processes send nothing, so the cut is still the first thing peers can see.
        procs.signal_all(pids, signal.SIGSTOP)
        self.events.stamp("power-off", node)
        net.link(n, up=False)
        procs.kill_now([*pids, *procs.netns_pids(node)])
        self.events.forget_holder(node)
        return lambda: self.power_on(node)

    def power_on(self, node: str) -> None:
        n = self._node(node)
        services = self.plan.services(node)
        if net.link_is_up(n) and all(self.lab.service_pid(node, s) for s in services):
            return  # already on: undo twice is harmless
        self.events.stamp("power-on", node)
        net.reset_addresses(self.plan, n)
        net.link(n, up=True)
        for service in services:  # etcd keeps --pre-vote: same argv as at up
            self.lab.start_service(node, service)
        node_started(self.lab, node)  # e.g. the node's Ceph daemons

    def reboot(self, node: str) -> None:
        self.power_off(node)
        if "slow-boot" in self.plan.defects:
            # Like `talosctl reboot`, the call returns while the machine boots: it comes back by
            # itself (the scenario's recovery waits for it; `lab up` converges it if we exit first).
            booting = threading.Timer(SLOW_BOOT_S, self.power_on, args=(node,))
            booting.daemon = True
            booting.start()
            return
        time.sleep(REBOOT_S)  # a power cycle is not instantaneous; peers should see the node gone
        self.power_on(node)

    def kill(self, service: str, node: str) -> Undo:
        victims = self._service_family(service, node)  # found first: the stamp is the kill
        self.events.stamp("kill", node, service)
        procs.kill_now(victims)
        if service == "keepalived":
            self.events.forget_holder(node)

        return lambda: self._restart(service, node)

    def stop(self, service: str, node: str) -> Undo:
        family = self._service_family(service, node)
        self.events.stamp("stop", node, service)
        if service == "etcd" and "etcd-stop-kills" in self.plan.defects:
            left = procs.kill_now(family)  # the supervisor's stop signal is SIGKILL: no hand-over
        else:
            left = procs.stop(family, timeout_s=GRACEFUL_STOP_S)
        if service == "keepalived":
            self.events.forget_holder(node)
        if left:
            raise TargetError(f"{service} on {node} did not exit after SIGTERM and SIGKILL: "
                              f"{procs.describe(left)}")
        return lambda: self._restart(service, node)

    def _service_family(self, service: str, node: str) -> list[int]:
        """The service's process and its children (keepalived forks), as a supervisor sees them."""
        self._node(node)
        if service not in self.plan.services(node):
            raise TargetError(f"{node} runs no {service} in this lab "
                              f"(it runs: {', '.join(self.plan.services(node)) or 'nothing'})")
        pid = self.lab.service_pid(node, service)
        if pid is None:
            raise TargetError(f"{service} on {node} is not running")
        return _descendants(pid, procs.netns_pids(node))

    def _restart(self, service: str, node: str) -> None:
        if self.lab.service_pid(node, service) is None:
            self.events.stamp("restart", node, service)
            self.lab.start_service(node, service)

    def partition(self, node: str, heal_after_s: float | None = None) -> Undo:
        # The lab reaches a partitioned node through its namespace: the undo heals it directly.
        n = self._node(node)
        self.events.stamp("partition", node)
        net.partition(n, on=True)

        return lambda: self._heal_partition(node)

    def _heal_partition(self, node: str) -> None:
        n = self._node(node)
        if net.is_partitioned(n):
            net.partition(n, on=False)
            self.events.stamp("heal", node)

    def degrade_link(self, node: str, rate_mbit: float) -> Undo:
        n = self._node(node)
        if rate_mbit <= 0:
            raise TargetError(f"link rate must be positive, got {rate_mbit:g} Mbit/s")
        self.events.stamp("degrade-link", node, f"{rate_mbit:g} Mbit/s")
        net.shape(n, shaped_rate_kbit(rate_mbit))
        restored = False

        def undo() -> None:
            nonlocal restored
            if not restored:
                self._restore_link(node)
                restored = True
        return undo

    def _restore_link(self, node: str) -> None:
        net.shape(self._node(node), self._node(node).rate_kbit)
        self.events.stamp("restore-link", node)

    def heal(self, action: str, node: str, service: str | None = None) -> str:
        if action in ("kill", "stop") and service:
            self._restart(service, node)
            return f"{service} on {node} runs"
        if action == "partition":
            self._heal_partition(node)
            return f"{node} is back on the switch"
        if action == "degrade_link":
            self._restore_link(node)
            return f"{node}'s link runs at its rate again"
        return super().heal(action, node, service)
