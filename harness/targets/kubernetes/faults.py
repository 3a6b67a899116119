"""Faults on Talos nodes: power through the BMC when configured, services and reboots through
talosctl, partitions through a self-healing privileged pod. Each stamps its instant."""

from __future__ import annotations

from collections.abc import Callable

from harness.targets.base import EventLog, Faults, TargetError, Undo
from harness.targets.kubernetes.bmc import TuringPiBmc
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
        partition_pod: Callable[[str, float | None], Callable[[], None]] | None = None,
    ) -> None:
        self.talos = talos
        self.bmc = bmc
        self.address_of = address_of
        self.events = events
        self.partition_pod = partition_pod

    def power_off(self, node: str) -> Undo:
        address = self.address_of(node)
        if self.bmc is None:
            # A node shut down through talosctl cannot be powered on remotely: refuse up front.
            raise TargetError(
                f"power_off {node}: no BMC in the profile (kubernetes.bmc), so the node "
                "could not be powered on again"
            )
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

    def kill(self, service: str, node: str) -> Undo:
        if service not in TALOS_SERVICES:
            raise TargetError(
                f"Talos runs no {service!r} service (services: {', '.join(TALOS_SERVICES)})"
            )
        address = self.address_of(node)
        self.events.stamp("kill", node, service)
        self.talos.service_stop(address, service)
        started = False

        def undo() -> None:
            nonlocal started
            if not started:
                self._start(service, node)
                started = True

        return undo

    def _start(self, service: str, node: str) -> None:
        self.events.stamp("restart", node, service)
        self.talos.service_start(self.address_of(node), service)

    def partition(self, node: str, heal_after_s: float | None = None) -> Undo:
        if self.partition_pod is None:
            raise TargetError("partition needs the Kubernetes API (a privileged pod on the node)")
        self.events.stamp("partition", node)
        heal = self.partition_pod(node, heal_after_s)

        def undo() -> None:
            heal()
            self.events.stamp("heal", node)

        return undo

    def degrade_link(self, node: str, rate_mbit: float) -> Undo:
        raise TargetError("degrade_link is not available on the kubernetes target yet")

    def heal(self, action: str, node: str, service: str | None = None) -> str:
        if action == "kill" and service:
            self._start(service, node)
            return f"started {service} on {node}"
        if action == "partition":
            # The partition pod heals its node on a timer of its own (the node cannot be reached
            # to undo it); `harness clean` removes the pod with the run's namespace.
            return f"{node} heals itself when its partition pod's timer ends"
        return super().heal(action, node, service)
