"""The lab as the kubernetes target's node driver (`kubernetes.node_driver: lab`).

On a real cluster, what only the nodes know (etcd's members and leader, the VIP holder) and what
only the nodes can do (kill a service, power off, partition) go through talosctl and the BMC.
On the Kubernetes lab the same questions go to the lab itself: its etcd members over their own
client port, its namespaces for the VIP, its faults, and its ground truth (keepalived's notify
stamps, etcd's elections) in the event log. Everything else the target does goes through the
real API server, as on a homelab.
"""

from __future__ import annotations

from collections.abc import Callable

from harness.errors import HarnessError
from harness.profile import Profile
from harness.targets.base import EventLog, Faults, Member
from harness.targets.lab.target import LabTarget


class LabNodeDriver:
    def __init__(self, profile: Profile) -> None:
        if not profile.lab.kubernetes:
            raise HarnessError(f"profile {profile.name}: kubernetes.node_driver 'lab' needs "
                               "lab.kubernetes: true (the lab must run the control plane)")
        self.lab = LabTarget(profile)

    @property
    def events(self) -> EventLog:
        return self.lab.events

    @property
    def faults(self) -> Faults:
        return self.lab.faults

    def members(self, timeout_s: float = 2.0) -> list[Member]:
        return self.lab.controlplane.members(timeout_s)

    def vip_holder(self) -> str | None:
        return self.lab.controlplane.vip_holder()

    def show_progress(self, write: Callable[[str], None]) -> None:
        self.lab.show_progress(write)

    def prepare(self) -> None:
        """Bring the Kubernetes lab up unless it runs already (built from this very profile)."""
        self.lab.prepare()

    def release(self) -> None:
        self.lab.release()

    def components(self) -> dict[str, str]:
        return self.lab.components()
