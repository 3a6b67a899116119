"""Faults on Talos nodes: power through the BMC when configured, services and reboots through
talosctl, a partition and a shaped link through privileged pods on the node (`linkpods.py`),
a crash through a privileged host-PID pod (`killpods.py`). Each stamps its instant: a link
fault when its pod says it is in force, a kill at the second its pod killed.

`talosctl service <id> stop` is a graceful stop: machined's runner sends SIGTERM to the service's
task and SIGKILL only after a grace period, and etcd answers SIGTERM by handing its leadership
over before it exits. Talos' API offers no crash of a service, so `kill` is a SIGKILL of etcd's
process from a pod on the node; machined restarts it by itself (5 s later), and the undo waits
until talosctl reports it Running and healthy (see `killpods.py` for the caveats).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from harness.targets.base import EventLog, Faults, TargetError, Undo
from harness.targets.kubernetes import killpods
from harness.targets.kubernetes.bmc import TuringPiBmc
from harness.targets.kubernetes.killpods import RESTART_BOUND_S, KillPods
from harness.targets.kubernetes.linkpods import SHAPE_MAX_S, LinkPods
from harness.targets.kubernetes.talos import Talos

TALOS_SERVICES = ("etcd", "kubelet", "apid", "trustd", "containerd", "cri")


class TalosFaults(Faults):
    def __init__(
        self,
        *,
        talos: Talos,
        bmc: TuringPiBmc | None,
        address_of: Callable[[str], str],
        events: EventLog,
        link_pods: LinkPods | None = None,
        kill_pods: KillPods | None = None,
        restart_bound_s: float = RESTART_BOUND_S,
        poll_s: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.talos = talos
        self.bmc = bmc
        self.address_of = address_of
        self.events = events
        self.link_pods = link_pods
        self.kill_pods = kill_pods
        self.restart_bound_s, self.poll_s, self.sleep = restart_bound_s, poll_s, sleep

    def power_off(self, node: str) -> Undo:
        address = self.address_of(node)
        if self.bmc is None:  # a node shut down through talosctl cannot be powered on remotely
            raise TargetError(f"power_off {node}: {self.refusal('power_off')}")
        self.bmc.slot(node)  # fail before cutting anything when the slot is unknown
        self.events.stamp("power-off", node, address)
        self.bmc.set_power(node, on=False)
        return lambda: self.power_on(node)

    def power_on(self, node: str) -> None:
        if self.bmc is None:
            raise TargetError(f"power_on {node}: no BMC in the profile (kubernetes.bmc)")
        if self.bmc.power_state().get(self.bmc.slot(node)):
            return  # already on: undo and an explicit rollback may both ask
        self.events.stamp("power-on", node)
        self.bmc.set_power(node, on=True)

    def reboot(self, node: str) -> None:
        self.events.stamp("reboot", node)
        self.talos.reboot(self.address_of(node))

    def refusal(self, action: str, service: str | None = None) -> str | None:
        if action in ("kill", "stop") and service not in TALOS_SERVICES:
            return f"Talos runs no {service!r} service (services: {', '.join(TALOS_SERVICES)})"
        if action == "kill":
            return killpods.refusal(service)
        if action in ("power_off", "power_on") and self.bmc is None:
            return (f"{action} needs a BMC (kubernetes.bmc): a node shut down through talosctl "
                    "cannot be powered on again; a reboot variant (action reboot) needs none")
        return None

    def kill(self, service: str, node: str) -> Undo:
        refused = self.refusal("kill", service)
        if refused is not None:
            raise TargetError(refused)
        if self.kill_pods is None:
            raise TargetError(f"kill {service} needs the Kubernetes API (a privileged pod on the node)")
        killed_at, pid = self.kill_pods.kill(node, service)
        self.events.stamp("kill", node, f"{service} pid {pid}", at=killed_at)
        return _once(lambda: self._wait_restarted(service, node, killed_at=killed_at))

    def _wait_restarted(self, service: str, node: str, *, killed_at: float | None = None) -> None:
        """Until machined has restarted the service and talosctl says it is healthy (bounded);
        stamps `restart` when that is seen. Not within a second of the kill: a read racing
        machined's view of the task's exit could still show the old process Running."""
        if killed_at is not None:
            self.sleep(max(0.0, killed_at + 1.0 - time.time()))
        address = self.address_of(node)
        deadline = time.monotonic() + self.restart_bound_s
        last = "no answer"
        while True:
            try:
                state = self.talos.service(address, service)
                last = f"{state.state}, health {state.health}"
                if state.state == "Running" and state.health == "OK":
                    self.events.stamp("restart", node, f"{service}: Running, healthy (by machined)")
                    return
            except TargetError as error:
                last = str(error)
            if time.monotonic() >= deadline:
                raise TargetError(f"{service} on {node} is not Running and healthy after "
                                  f"{self.restart_bound_s:g} s of waiting for machined to restart it "
                                  f"(last: {last}): see talosctl service {service} and its logs")
            self.sleep(self.poll_s)

    def stop(self, service: str, node: str) -> Undo:
        refused = self.refusal("stop", service)
        if refused is not None:
            raise TargetError(refused)
        address = self.address_of(node)
        self.events.stamp("stop", node, service)
        self.talos.service_stop(address, service)
        return _once(lambda: self._start(service, node))

    def _start(self, service: str, node: str) -> None:
        self.events.stamp("restart", node, service)
        self.talos.service_start(self.address_of(node), service)

    def _pods(self, action: str) -> LinkPods:
        if self.link_pods is None:
            raise TargetError(f"{action} needs the Kubernetes API (a privileged pod on the node)")
        return self.link_pods

    def partition(self, node: str, heal_after_s: float | None = None) -> Undo:
        cut_at, heal = self._pods("partition").partition(node, heal_after_s)
        self.events.stamp("partition", node, at=cut_at)  # the second the pod cut, as it said
        return _once(heal, lambda: self.events.stamp("heal", node))

    def degrade_link(self, node: str, rate_mbit: float) -> Undo:
        if rate_mbit <= 0:
            raise TargetError(f"link rate must be positive, got {rate_mbit:g} Mbit/s")
        in_force_at, restore = self._pods("degrade_link").shape(node, rate_mbit)
        self.events.stamp("degrade-link", node, f"{rate_mbit:g} Mbit/s", at=in_force_at)
        return _once(restore, lambda: self.events.stamp("restore-link", node))

    def heal(self, action: str, node: str, service: str | None = None) -> str:
        if action == "kill" and service:  # machined restarts it: there is only the wait
            self._wait_restarted(service, node)
            return f"{service} on {node} is Running and healthy again (machined restarted it)"
        if action == "stop" and service:
            self._start(service, node)
            return f"started {service} on {node}"
        if action == "partition":
            # The partition pod heals its node on a timer of its own (the node cannot be reached
            # to undo it); `harness clean` removes the pod with the run's namespace.
            return f"{node} heals itself when its partition pod's timer ends"
        if action == "degrade_link":  # its pod is in the dead run's namespace, out of our reach
            return (f"{node}'s shaping pod restores its link within {SHAPE_MAX_S} s of its start, "
                    "or when `harness clean` deletes it")
        return super().heal(action, node, service)


def _once(*steps: Callable[[], object]) -> Undo:
    """An undo that runs `steps` in order the first time only (the undo and an explicit
    rollback may both ask); a step that raises leaves it to be tried again."""
    done = False

    def undo() -> None:
        nonlocal done
        if not done:
            for step in steps:
                step()
            done = True

    return undo
