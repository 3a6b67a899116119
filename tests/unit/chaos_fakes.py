"""An in-memory Target for chaos and probe tests: faults change what the control plane answers."""

from __future__ import annotations

import time
from typing import Any

from harness.profile import Profile, parse_profile
from harness.targets.base import ControlPlane, Faults, Member, NodeInfo, Target, TargetError, Undo
from harness.targets.planning import PlanSink

PROFILE = """
name: fake
target: lab
nodes:
  - {name: cp1, address: 198.18.0.11, roles: [controlplane]}
  - {name: cp2, address: 198.18.0.12, roles: [controlplane]}
  - {name: cp3, address: 198.18.0.13, roles: [controlplane]}
  - {name: wk1, address: 198.18.0.14, roles: [worker]}
controlplane: {endpoint: 198.18.0.10, port: 2379}
loadbalancer_pool: {range: {first: 198.18.0.100, last: 198.18.0.127}}
expectations:
  api_unavailable_on_power_loss_max_s: 0.5
"""


def fake_profile() -> Profile:
    return parse_profile(PROFILE)


class FakeCluster:
    """State of three members; the API fails for `outage_s` after the VIP holder or leader goes."""

    def __init__(self, outage_s: float = 0.15) -> None:
        self.down: set[str] = set()
        self.vip = "cp1"
        self.lead = "cp1"
        self.term = 5  # raft: every election raises it
        self.outage_s = outage_s
        self.outage_until = 0.0
        self.calls: list[str] = []


class FakeControlPlane(ControlPlane):
    def __init__(self, cluster: FakeCluster) -> None:
        self.c = cluster

    @property
    def endpoint(self) -> str:
        return "198.18.0.10:2379"

    def members(self, timeout_s: float = 2.0) -> list[Member]:
        return [Member(n, n, n not in self.c.down, n == self.c.lead and n not in self.c.down,
                       term=None if n in self.c.down else self.c.term)
                for n in ("cp1", "cp2", "cp3")]

    def vip_holder(self) -> str | None:
        return None if time.time() < self.c.outage_until else self.c.vip

    def roundtrip(self, timeout_s: float = 1.0) -> None:
        if time.time() < self.c.outage_until or len(self.c.down) > 1:
            raise TargetError("connection refused")

    def roundtrip_direct(self, node: str, timeout_s: float = 1.0) -> None:
        self.roundtrip(timeout_s)


class FakeFaults(Faults):
    def __init__(self, target: FakeTarget) -> None:
        self.t = target
        self.c = target.cluster
        self.refused: dict[str, str] = {}
        """action -> the sentence this fake target refuses it with (none by default)."""

    def _lose(self, node: str, kind: str) -> Undo:
        self.c.calls.append(f"{kind} {node}")
        self.t.events.stamp(kind, node)
        self.c.down.add(node)
        if node in (self.c.vip, self.c.lead):
            self.c.outage_until = time.time() + self.c.outage_s
            survivor = sorted({"cp1", "cp2", "cp3"} - self.c.down)[0]
            if node == self.c.lead:
                self.c.term += 1
            self.c.vip = self.c.lead = survivor
            self.t.events.stamp("vip-moved", survivor, at=self.c.outage_until)

        def undo() -> None:
            self.c.calls.append(f"undo {kind} {node}")
            self.c.down.discard(node)

        return undo

    def power_off(self, node: str) -> Undo:
        return self._lose(node, "power-off")

    def power_on(self, node: str) -> None:
        self.c.calls.append(f"power-on {node}")
        self.c.down.discard(node)

    def reboot(self, node: str) -> None:
        self.c.calls.append(f"reboot {node}")

    def kill(self, service: str, node: str) -> Undo:
        return self._lose(node, f"kill-{service}")

    def stop(self, service: str, node: str) -> Undo:
        """Graceful: a stopping leader hands over first, so the API sees no outage."""
        self.c.calls.append(f"stop-{service} {node}")
        self.t.events.stamp("stop", node, service)
        self.c.down.add(node)
        if node == self.c.lead:
            self.c.term += 1
            self.c.lead = sorted({"cp1", "cp2", "cp3"} - self.c.down)[0]

        def undo() -> None:
            self.c.calls.append(f"undo stop-{service} {node}")
            self.c.down.discard(node)

        return undo

    def refusal(self, action: str, service: str | None = None) -> str | None:
        return self.refused.get(action)

    def partition(self, node: str, heal_after_s: float | None = None) -> Undo:
        return self._lose(node, "partition")

    def degrade_link(self, node: str, rate_mbit: float) -> Undo:
        self.c.calls.append(f"degrade {node}")
        return lambda: self.c.calls.append(f"undo degrade {node}")


class FakeTarget(Target):
    kind = "fake"

    def __init__(self, profile: Profile | None = None, cluster: FakeCluster | None = None, *,
                 run_id: str | None = None, plan: PlanSink | None = None) -> None:
        super().__init__(profile or fake_profile(), run_id=run_id, plan=plan)
        self.cluster = cluster or FakeCluster()
        self._cp = FakeControlPlane(self.cluster)
        self._faults: Any = FakeFaults(self)

    def nodes(self) -> list[NodeInfo]:
        return [NodeInfo(n.name, str(n.address), tuple(n.roles), True) for n in self.profile.nodes]

    @property
    def controlplane(self) -> ControlPlane:
        return self._cp

    @property
    def faults(self) -> Faults:
        return self._faults  # type: ignore[no-any-return]


class PowerlessTarget(FakeTarget):
    """A fake whose faults refuse power: the plugin's tests of a scenario the target refuses."""

    kind = "powerless"

    def __init__(self, profile: Profile | None = None, cluster: FakeCluster | None = None, *,
                 run_id: str | None = None, plan: PlanSink | None = None) -> None:
        super().__init__(profile, cluster, run_id=run_id, plan=plan)
        self._faults.refused["power_off"] = "this fake has no power switch"
