"""Optional parts of the lab beyond network + control plane: pods and load balancers, Ceph.

Each part is a `LabComponent`, listed in `COMPONENTS` by dotted path and imported lazily.
`Lab.up` brings the wanted ones up after the control plane, in order; `Lab.down` takes them
down first, in reverse. A component keeps its processes and files under the lab's state
directory, tracked by PID like the rest, so `down` leaves nothing behind.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from harness.targets.lab.config import LabPlan
    from harness.targets.lab.lifecycle import Lab


class LabComponent(Protocol):
    name: str

    def wanted(self, plan: LabPlan) -> bool:
        """Whether this profile asks for it (e.g. storage only when `lab.storage` is on)."""
        ...

    def up(self, lab: Lab) -> str:
        """Converge to running (idempotent, finishes a half-done earlier `up`); returns a detail."""
        ...

    def down(self, lab: Lab) -> None:
        """Stop and remove everything it made, by PID and by name; no error if nothing is there."""
        ...

    def running(self, lab: Lab) -> bool: ...


def node_started(lab: Lab, node: str) -> None:
    """After a node's power-on: components restart what they run on it (Ceph daemons, the
    load balancer's keepalived). A component opts in with a `node_started(lab, node)` method."""
    for component in wanted_components(lab.plan):
        hook = getattr(component, "node_started", None)
        if hook is not None:
            hook(lab, node)


# Order matters: later components may use earlier ones (an RGW needs its OSDs).
COMPONENTS: list[str] = [
    "harness.targets.lab.kube:KubernetesControlPlane",
    "harness.targets.lab.pods:PodNetwork",
    "harness.targets.lab.lb:LoadBalancers",
    "harness.targets.lab.kube_lb:LoadBalancerController",  # Services -> LoadBalancers' records
    "harness.targets.lab.ceph:CephStorage",
]


def wanted_components(plan: LabPlan) -> list[LabComponent]:
    found = []
    for dotted in COMPONENTS:
        module_name, _, class_name = dotted.partition(":")
        component: LabComponent = getattr(importlib.import_module(module_name), class_name)()
        if component.wanted(plan):
            found.append(component)
    return found
