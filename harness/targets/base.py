"""The Target contract: what suites and scenarios may ask of a cluster.

Suites never talk to Kubernetes or to network namespaces: they ask a `Target` for capabilities,
and the same test runs on the lab and on a real cluster. Capabilities are grouped by area
(control plane and faults now; network and storage join them in their own modules).
Every call that can hang takes or has a timeout; failures raise `TargetError`.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from harness.errors import HarnessError
from harness.profile import Profile
from harness.results import new_run_id
from harness.targets.planning import PlannedWrite, PlanSink, Verdict

if TYPE_CHECKING:
    from harness.targets.kubernetes.apislis import ApiSlis
    from harness.targets.network import Network
    from harness.targets.storage import Storage
    from harness.workloads.fio import FioJob

Undo = Callable[[], None]
"""Returned by every fault: calling it puts back what the fault broke (idempotent)."""


class TargetError(HarnessError):
    """A target operation failed (unreachable endpoint, command error, timeout)."""


@dataclass(frozen=True)
class NodeInfo:
    name: str
    address: str
    roles: tuple[str, ...]
    ready: bool


@dataclass(frozen=True)
class Member:
    """One control-plane (etcd) member as seen through its own client endpoint."""

    name: str
    node: str
    healthy: bool
    is_leader: bool
    error: str | None = None
    term: int | None = None
    """The raft term the member reports; etcd moves it once an election has a winner."""
    cluster_id: str | None = None
    """The cluster this member belongs to, as it reports it (None: the target cannot tell)."""
    peers: tuple[str, ...] | None = None
    """The member names in this member's own member list (None: the target cannot tell)."""


@dataclass(frozen=True)
class Event:
    """An instant worth putting on a timeline: a fault injected, a VIP moved, a new leader."""

    time: float  # seconds since the epoch, comparable across processes
    kind: str
    node: str | None = None
    detail: str = ""


@dataclass
class EventLog:
    """Thread-safe list of events; targets stamp faults and the ground truth they observe."""

    _events: list[Event] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def stamp(self, kind: str, node: str | None = None, detail: str = "",
              at: float | None = None) -> Event:
        event = Event(time=time.time() if at is None else at, kind=kind, node=node, detail=detail)
        with self._lock:
            self._events.append(event)
        return event

    def since(self, start: float) -> list[Event]:
        with self._lock:
            return sorted((e for e in self._events if e.time >= start), key=lambda e: e.time)


class ControlPlane(ABC):
    """The HA control plane behind its shared endpoint (the VIP)."""

    @property
    @abstractmethod
    def endpoint(self) -> str:
        """`host:port` clients use: the VIP."""

    @abstractmethod
    def members(self, timeout_s: float = 2.0) -> list[Member]:
        """Every configured member with its health and whether it leads."""

    @abstractmethod
    def vip_holder(self) -> str | None:
        """Name of the node holding the VIP now, or None when nobody holds it."""

    @abstractmethod
    def roundtrip(self, timeout_s: float = 1.0) -> None:
        """One write + read through the endpoint: the unit of API availability. Raises on failure."""

    @abstractmethod
    def roundtrip_direct(self, node: str, timeout_s: float = 1.0) -> None:
        """The same roundtrip against one member's own address, bypassing the VIP."""

    def leader(self, timeout_s: float = 2.0) -> str | None:
        leaders = [m.node for m in self.members(timeout_s) if m.is_leader]
        return leaders[0] if len(leaders) == 1 else None

    def term(self, timeout_s: float = 2.0) -> int | None:
        """The highest raft term any member reports: it moves only when an election is held."""
        terms = [m.term for m in self.members(timeout_s) if m.term is not None]
        return max(terms) if terms else None


class Faults(ABC):
    """Disruptions. Each stamps its instant in the target's event log and returns an undo."""

    @abstractmethod
    def power_off(self, node: str) -> Undo:
        """Cut the node's link, then kill all of its processes at once (no graceful goodbyes)."""

    @abstractmethod
    def power_on(self, node: str) -> None:
        """Bring a powered-off node back with all of its services."""

    @abstractmethod
    def reboot(self, node: str) -> None:
        """Power cycle: off, then on again."""

    @abstractmethod
    def kill(self, service: str, node: str) -> Undo:
        """Crash one service (e.g. `etcd`, `keepalived`) on a node: SIGKILL, no goodbyes; undo
        restarts it."""

    @abstractmethod
    def stop(self, service: str, node: str) -> Undo:
        """Stop one service gracefully, as its supervisor does: SIGTERM and the service's own
        shutdown (an etcd leader hands its leadership over first), SIGKILL only past a grace
        period; undo starts it again."""

    @abstractmethod
    def partition(self, node: str, heal_after_s: float | None = None) -> Undo:
        """Cut the node off the switch while it keeps running. A target that cannot reach a
        partitioned node to undo it (Talos) arms a self-heal after `heal_after_s` (the step's
        duration; its own default when None), and the undo waits for it."""

    @abstractmethod
    def degrade_link(self, node: str, rate_mbit: float) -> Undo:
        """Shape the node's link to `rate_mbit` in both directions."""

    def refusal(self, action: str, service: str | None = None) -> str | None:
        """Why this target can never inject `action` (on `service`), in one sentence; None when
        it can. Asked before a scenario's guards and by the dry run, so a scenario the target
        cannot run is refused up front, never halfway through its method."""
        return None

    def heal(self, action: str, node: str, service: str | None = None) -> str:
        """Undo a fault that another process applied and never undid (it died): what the undo
        of `action` would do, rebuilt from its name alone; idempotent. Returns what it did."""
        if action == "power_off":
            self.power_on(node)
            return f"powered {node} on"
        raise TargetError(f"this target cannot heal {action} on {node} by itself")


class Target(ABC):
    """One cluster the harness can test: the lab on this machine, or a real cluster."""

    kind: str = ""
    plans_dry_runs = False
    """Whether the target can be made with `plan=`: a dry run lists what it would send, and
    sends nothing. Targets that cannot refuse at construction, in one sentence."""

    def __init__(self, profile: Profile, *, run_id: str | None = None,
                 plan: PlanSink | None = None) -> None:
        """`run_id` names what the target makes (the kubernetes target's namespace and labels);
        None takes a fresh one (tools and tests that make a target by hand). With `plan`, every
        write goes to the sink and nothing reaches the cluster."""
        if plan is not None and not self.plans_dry_runs:
            raise TargetError(self.no_plan_sentence())
        self.profile = profile
        self.run_id = run_id or new_run_id()
        self.plan_sink = plan
        self.events = EventLog()

    def no_plan_sentence(self) -> str:
        return f"the {self.kind} target cannot plan a dry run"

    @property
    def id(self) -> str:
        """Reads like a URL and ends up in test ids: `lab://lab`, `kubernetes://homelab`."""
        return f"{self.kind}://{self.profile.name}"

    def prepare(self) -> None:
        """Get the target ready for a session (the lab comes up if it is down)."""

    def release(self) -> None:
        """Undo what `prepare` did (the lab goes down if this session brought it up)."""

    def show_progress(self, write: Callable[[str], None]) -> None:
        """Where `prepare` has slow steps of its own (a lab coming up), say each through `write`
        as it finishes; targets without any ignore it."""

    # -- dry runs: only targets with `plans_dry_runs` are ever asked ---------------------------
    def plan_fault(self, action: str, node: str, service: str | None = None,
                   duration_s: float | None = None, rate_mbit: float | None = None) -> str:
        """One sentence: what a fault would call on this target (its objects go to the plan)."""
        raise TargetError(self.no_plan_sentence())

    def plan_background_fio(self, job: FioJob, size_gib: float, disrupted: Sequence[str]) -> str:
        """One sentence: what a scenario's background writer would create (objects to the plan),
        off the `disrupted` nodes."""
        raise TargetError(self.no_plan_sentence())

    def plan_suite_objects(self, areas: set[str]) -> list[PlannedWrite]:
        """Objects the suites of `areas` (controlplane, nodes, ...) would create."""
        raise TargetError(self.no_plan_sentence())

    def server_check(self, writes: Sequence[PlannedWrite]) -> tuple[list[Verdict], str]:
        """The cluster's own verdict on each planned create, or none and why not."""
        return [], f"the {self.kind} target has no server to check a plan"

    def api_slis(self) -> ApiSlis:
        """Load clients and pod startups for the API SLI checks: Kubernetes' API only."""
        raise TargetError(f"the {self.kind} target has no Kubernetes API (its API is etcd behind "
                          "the VIP): the API SLIs need the kubernetes target")

    def preflight(self, needs: set[str]) -> None:
        """Before any test: check that what the selected tests need (`nodes`, `network`,
        `storage`, `partition`) can run on every node; raise HarnessError naming each node that
        can't. The lab runs its own binaries, so it has nothing to check."""

    @abstractmethod
    def nodes(self) -> list[NodeInfo]: ...

    @property
    @abstractmethod
    def controlplane(self) -> ControlPlane: ...

    @property
    @abstractmethod
    def faults(self) -> Faults: ...

    @property
    def network(self) -> Network:
        """Load balancers, pods, policies and throughput (see `harness.targets.network`)."""
        raise TargetError(f"the {self.kind} target has no network capabilities yet")

    @property
    def storage(self) -> Storage:
        """Ceph health, block volumes and buckets (see `harness.targets.storage`)."""
        raise TargetError(f"the {self.kind} target has no storage capabilities yet")

    def host(self, node: str) -> Any:
        """A testinfra `Host` for node facts (arrives with the node-facts suite)."""
        raise TargetError(f"{self.kind} target has no node-facts backend yet")

    def data_path(self, node: str) -> str:
        """Where `node` keeps its data, as its `host()` sees the path."""
        raise TargetError(f"{self.kind} target does not know where nodes keep data")

    def components(self) -> dict[str, str]:
        """Versions of cluster components this target can see, for the run file."""
        return {}
