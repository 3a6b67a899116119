"""Plan mode of the kubernetes target: what a run *would* do, with nothing sent to the cluster.

`PlanningAPI` stands in for `KubeAPI`: every write is recorded in a `PlanSink` instead of being
sent, every read is refused (a plan cannot know the cluster's state, and must not ask). Talos and
the BMC are replaced by stand-ins that refuse too, so a code path that would touch a node fails
loudly instead of reaching it. `fault_plan()` says, per fault, what the target would call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness.targets.base import TargetError
from harness.targets.planning import (
    Obj,
    PlannedWrite,
    PlanSink,
    schema_verdict,
    validation_problems,
)

__all__ = [
    "PlanReadRefused",
    "PlanSink",
    "PlannedWrite",
    "PlanningAPI",
    "RefusingTool",
    "fault_plan",
    "schema_verdict",
    "validation_problems",
]


class PlanReadRefused(TargetError):
    """A dry run tried to read the cluster; plans are built from the profile only."""


class PlanningAPI:
    """The `KubeAPI` surface the target uses, writing into a sink; reads refuse."""

    host = "(dry run: no API contacted)"

    def __init__(self, sink: PlanSink) -> None:
        self.sink = sink

    def _create(self, kind: str, namespace: str | None, body: Obj, purpose: str = "") -> Obj:
        name = str(body["metadata"]["name"])
        self.sink.record(PlannedWrite("create", kind, name, namespace, body, purpose))
        return body

    def _delete(self, kind: str, namespace: str | None, name: str) -> None:
        self.sink.record(PlannedWrite("delete", kind, name, namespace))

    def create_namespace(self, body: Obj) -> Obj:
        return self._create("Namespace", None, body, "the run's namespace")

    def delete_namespace(self, name: str, *, missing_ok: bool = True) -> None:
        self._delete("Namespace", None, name)

    def create_configmap(self, namespace: str, body: Obj, **_: Any) -> Obj:
        return self._create("ConfigMap", namespace, body)

    def delete_configmap(self, namespace: str, name: str, **_: Any) -> None:
        self._delete("ConfigMap", namespace, name)

    def create_pod(self, namespace: str, body: Obj) -> Obj:
        return self._create("Pod", namespace, body)

    def delete_pod(self, namespace: str, name: str, **_: Any) -> None:
        self._delete("Pod", namespace, name)

    def create_job(self, namespace: str, body: Obj) -> Obj:
        return self._create("Job", namespace, body)

    def delete_job(self, namespace: str, name: str) -> None:
        self._delete("Job", namespace, name)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        # Every other method of KubeAPI reads the cluster (version, list_nodes, read_*, logs).
        def refuse(*args: Any, **kwargs: Any) -> Any:
            raise PlanReadRefused(f"dry run: {name} would read the cluster, which a plan never does")

        return refuse


class RefusingTool:
    """Stands in for talosctl or the BMC in plan mode: any call is a bug in the plan path."""

    def __init__(self, tool: str) -> None:
        self.tool = tool

    def __getattr__(self, name: str) -> Callable[..., Any]:
        def refuse(*args: Any, **kwargs: Any) -> Any:
            raise PlanReadRefused(f"dry run: {self.tool} {name} would touch a node")

        return refuse


def fault_plan(
    action: str, *, node: str, address: str, service: str | None, bmc_slot: int | None,
    heal_after_s: int, rate_mbit: float | None = None,
) -> str:
    """What the kubernetes target would call for one fault on `node` (one sentence)."""
    if action == "power_off":
        return (
            f"BMC power off slot {bmc_slot} (GET /api/bmc?opt=set&type=power&node{bmc_slot}=0), "
            f"undo: power on (…&node{bmc_slot}=1) if the BMC reports it off"
        )
    if action == "power_on":
        return f"BMC power on slot {bmc_slot} (GET /api/bmc?opt=set&type=power&node{bmc_slot}=1)"
    if action == "reboot":
        return f"talosctl --nodes {address} reboot"
    if action == "stop":
        return (
            f"talosctl --nodes {address} service {service} stop (SIGTERM, graceful), "
            f"undo: talosctl --nodes {address} service {service} start"
        )
    if action == "kill":
        return (
            f"create privileged host-PID Pod kill-{service}-{node} pinned to {node} (SIGKILL to the "
            f"one process whose comm and argv[0] are {service}, at the whole second it announces), "
            f"undo: wait until talosctl --nodes {address} service {service} says Running, health OK "
            "(machined restarts it by itself 5 s after it died)"
        )
    if action == "partition":
        return (
            f"create privileged Pod partition-{node} pinned to {node} (the uplink carrying {address}: "
            "root qdisc drops all it sends, netdev ingress drops all it receives; cut at the second "
            f"it announces, heals itself after {heal_after_s} s), undo: wait for it to heal, delete the pod"
        )
    if action == "degrade_link":
        return (
            f"create privileged Pod shape-{node} pinned to {node} (the uplink carrying {address}: "
            f"root qdisc tbf and netdev ingress policing at {rate_mbit or 0:g} Mbit/s), undo: delete "
            "the pod, whose SIGTERM trap restores the link"
        )
    return f"{action} {node}"
