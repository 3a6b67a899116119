"""The scenario file format: hypothesis (steady state), method, observation, expectations, rollbacks.

Values only, validated by pydantic; `load.py` turns pydantic's errors into one message listing
every problem with its path. Roles (`controlplane.vip_holder`, ...) are bound to nodes once, just
before the method, so a role names the same node in the method and in the rollbacks.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Annotated, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from harness.chaos.expressions import parse_expectation
from harness.profile.model import NodeName

ROLES = ("controlplane.vip_holder", "controlplane.etcd_leader", "controlplane.any_follower",
         "network.lb_announcer", "storage.osd_node")
EVENT_KINDS = ("power-off", "power-on", "reboot", "kill", "stop", "restart", "partition", "heal",
               "degrade-link", "restore-link", "vip-moved", "vip-released", "leader-elected")
"""Every kind a target stamps (`harness/targets/*/faults.py`, the lab's ground truth): what
`events.<kind>.count` and `events.<kind>.after_fault_s` may name, with `_` for `-`."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _role(name: str) -> str:
    if name not in ROLES:
        raise ValueError(f"unknown role {name!r} (known: {', '.join(ROLES)})")
    return name


def _expectation(text: str) -> str:
    parse_expectation(text)  # raises ValueError with the sentence
    return text


RoleName = Annotated[str, AfterValidator(_role)]
ExpectationText = Annotated[str, AfterValidator(_expectation)]


class SteadyProbe(StrEnum):
    API_ROUNDTRIP = "api.roundtrip"
    """A write + read through the VIP succeeds."""
    MEMBERS_HEALTHY = "controlplane.members_healthy"
    """At least `tolerance` members report healthy."""
    VIP_ANSWERS = "controlplane.vip_answers"
    """A control-plane node holds the VIP and a roundtrip through it succeeds."""
    ONE_LEADER = "controlplane.one_leader"
    """Exactly one member leads."""
    LB_ANSWERS = "network.lb_answers"
    """The scenario's load balancer answers a GET from the workstation."""
    STORAGE_HEALTH_OK = "storage.health_ok"
    """Ceph reports HEALTH_OK (or only the profile's allowed warnings) with every PG active+clean."""


class ObserveProbe(StrEnum):
    API_ROUNDTRIP = "api.roundtrip"
    VIP_HOLDER = "controlplane.vip_holder"
    """Ok while someone holds the VIP; the value is the holder, so moves can be counted."""
    LEADER = "controlplane.leader"
    TERM = "controlplane.term"
    """The highest raft term a member reports; its changes count elections, even a re-elected leader."""
    LB_HTTP = "network.lb_http"
    """A GET through the scenario's load balancer; the value is the backend that answered."""
    LB_ANNOUNCER = "network.lb_announcer"
    """Ok while one node announces the LB IP; the value is that node."""
    STORAGE_HEALTH = "storage.health"
    """`ceph status` answered; the value is the health, with ` degraded` when PGs are degraded."""
    RBD_WRITE = "storage.rbd_write"
    """Not sampled: fio writes to a fresh RBD image for `duration_s` and logs every I/O (see
    `harness.chaos.io_writer`); rate_hz, timeout_s and max_in_flight do not apply."""


class Action(StrEnum):
    POWER_OFF = "power_off"
    REBOOT = "reboot"
    KILL = "kill"
    """Crash one service: SIGKILL, no goodbyes (an etcd leader leaves its followers to notice)."""
    STOP = "stop"
    """Stop one service gracefully, as its supervisor does: SIGTERM and the service's own
    shutdown (an etcd leader hands its leadership over before it exits)."""
    PARTITION = "partition"
    DEGRADE_LINK = "degrade_link"
    PAUSE = "pause"


class RollbackAction(StrEnum):
    POWER_ON = "power_on"
    PAUSE = "pause"


class Check(Strict):
    probe: SteadyProbe
    tolerance: str | int = "ok"
    """`ok` for yes/no probes; a minimum count for `controlplane.members_healthy`."""

    @model_validator(mode="after")
    def _tolerance_fits(self) -> Self:
        counting = self.probe is SteadyProbe.MEMBERS_HEALTHY
        if counting and (not isinstance(self.tolerance, int) or self.tolerance < 1):
            raise ValueError(f"{self.probe} needs a tolerance that is a count >= 1")
        if not counting and self.tolerance != "ok":
            raise ValueError(f"{self.probe} takes tolerance 'ok'")
        return self


class Aim(Strict):
    """Where a step aims: a role bound before the method, or a node by name."""

    target: RoleName | None = None
    node: NodeName | None = None
    excluding: list[RoleName] = Field(default_factory=list)
    """Roles the chosen node must not also play (e.g. a follower that does not hold the VIP)."""

    @property
    def selector(self) -> str:
        if self.node is not None:
            return f"node:{self.node}"
        return "+".join([str(self.target), *(f"not:{r}" for r in sorted(self.excluding))])


class FaultStep(Aim):
    action: Action
    name: str | None = None
    service: str | None = None
    """`kill` and `stop` only: which service (e.g. `etcd`, `keepalived`)."""
    rate_mbit: float | None = Field(default=None, gt=0)
    """`degrade_link` only."""
    duration_s: float | None = Field(default=None, gt=0, le=600)
    """Keep the fault this long, then undo it (for `pause`: how long to wait)."""
    pause_after_s: float = Field(default=0.0, ge=0, le=600)

    @model_validator(mode="after")
    def _fits_action(self) -> Self:
        problems = []
        if self.action is Action.PAUSE:
            if self.duration_s is None:
                problems.append("pause needs duration_s")
            if self.target or self.node:
                problems.append("pause takes no target or node")
        elif (self.target is None) == (self.node is None):
            problems.append(f"{self.action} needs exactly one of target (a role) or node")
        if (self.action in (Action.KILL, Action.STOP)) != (self.service is not None):
            problems.append("service is required for kill and stop, and only for them")
        if (self.action is Action.DEGRADE_LINK) != (self.rate_mbit is not None):
            problems.append("rate_mbit is required for degrade_link and only for degrade_link")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def wait_s(self) -> float:
        return (self.duration_s or 0.0) + self.pause_after_s


class RollbackStep(Aim):
    action: RollbackAction
    duration_s: float | None = Field(default=None, gt=0, le=600)

    @model_validator(mode="after")
    def _fits_action(self) -> Self:
        if self.action is RollbackAction.PAUSE and self.duration_s is None:
            raise ValueError("pause needs duration_s")
        if self.action is RollbackAction.POWER_ON and (self.target is None) == (self.node is None):
            raise ValueError("power_on needs exactly one of target (a role) or node")
        return self


class Observation(Strict):
    probe: ObserveProbe = ObserveProbe.API_ROUNDTRIP
    rate_hz: float = Field(default=20.0, gt=0, le=200)
    duration_s: float = Field(default=12.0, gt=0, le=120)
    """From the start of sampling; sampling starts `lead_s` before the method."""
    lead_s: float = Field(default=1.0, ge=0, le=30)
    timeout_s: float = Field(default=0.5, gt=0, le=10)
    """Per sample: short, so a hanging call does not blur the recovery instant."""
    max_in_flight: int | None = Field(default=None, ge=1, le=32)
    """Samples running at once. Default: enough that samples timing out never hold back the
    next tick (timeout x rate, rounded up, + 1), so a recovery is seen within one period."""

    @property
    def in_flight(self) -> int:
        if self.max_in_flight is not None:
            return self.max_in_flight
        return min(32, math.ceil(self.timeout_s * self.rate_hz) + 1)


class Scenario(Strict):
    title: str = Field(min_length=1)
    description: str = ""
    steady_state: list[Check] = Field(min_length=1)
    method: list[FaultStep] = Field(min_length=1)
    observe: dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")], Observation] = Field(
        default_factory=dict)
    expectations: list[ExpectationText] = Field(default_factory=list)
    rollbacks: list[RollbackStep] = Field(default_factory=list)
    recovery_timeout_s: float = Field(default=30.0, ge=0, le=300)
    """How long the steady state may take to come back after the method."""
    steady_state_wait_s: float = Field(default=0.0, ge=0, le=300)
    """How long the steady state may take to hold before the run is refused: a cluster still
    healing from an earlier scenario (Ceph after a node's power cycle) gets this long."""

    @property
    def lead_s(self) -> float:
        """Observations start together; the method starts after the longest lead-in."""
        return max((o.lead_s for o in self.observe.values()), default=0.0)

    @property
    def method_s(self) -> float:
        """How long the method takes: its faults' durations and pauses."""
        return sum(step.wait_s for step in self.method)
