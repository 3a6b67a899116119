"""What names in a scenario mean on a target: roles bound to nodes, steady-state checks, probes."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from harness.chaos.errors import GuardError
from harness.chaos.journal import describe
from harness.chaos.model import Aim, Check, Observation, ObserveProbe, SteadyProbe
from harness.probes import Operation
from harness.targets.base import Target, TargetError
from harness.workloads.http_probe import HttpProbeError, get_backend

CHECK_TIMEOUT_S = 2.0


def bind_roles(aims: Iterable[Aim], *, target: Target) -> dict[str, str]:
    """Selector -> node, resolved once so the method and the rollbacks name the same node."""
    cp = target.controlplane
    cache: dict[str, str | None] = {}

    def role(name: str) -> str | None:
        if name not in cache:
            if name == "controlplane.vip_holder":
                cache[name] = cp.vip_holder()
            elif name == "controlplane.etcd_leader":
                cache[name] = cp.leader()
            elif name == "network.lb_announcer":
                network = target.network
                cache[name] = network.announcer(network.standing_loadbalancer())
            else:  # any_follower: resolved below, with its exclusions
                cache[name] = None
        return cache[name]

    bindings: dict[str, str] = {}
    for aim in aims:
        if aim.node is not None:
            bindings[aim.selector] = aim.node
            continue
        if aim.target is None or aim.selector in bindings:
            continue
        excluded = {node for r in aim.excluding if (node := role(r)) is not None}
        if aim.target == "storage.osd_node":
            node = osd_node_that_may_stop(target, excluded=excluded)
        elif aim.target == "controlplane.any_follower":
            followers = sorted(m.node for m in cp.members(CHECK_TIMEOUT_S)
                               if m.healthy and not m.is_leader and m.node not in excluded)
            node = followers[0] if followers else None
        else:
            node = role(aim.target)
            node = None if node in excluded else node
        if node is None:
            raise GuardError("roles", f"no node plays {aim.selector} right now")
        bindings[aim.selector] = node
    return bindings


def osd_node_that_may_stop(target: Target, *, excluded: set[str]) -> str:
    """A node whose OSDs Ceph lets stop (`ceph osd ok-to-stop`): workers first, never the VIP
    holder (losing the control-plane VIP too would test two failovers at once).

    This is the scenario's guard rail: when no candidate may stop, the run is refused.
    """
    storage = target.storage
    workers = {n.name for n in target.profile.nodes if not n.is_controlplane}
    vip_holder = target.controlplane.vip_holder()
    candidates = sorted((n for n in storage.osd_nodes() if n not in excluded and n != vip_holder),
                        key=lambda n: (n not in workers, n))
    for node in candidates:
        if storage.osd_ok_to_stop(node, CHECK_TIMEOUT_S * 5):
            return node
    raise GuardError("ok-to-stop", f"ceph osd ok-to-stop refuses every candidate OSD node "
                                   f"({', '.join(candidates) or 'none'}): a PG would go inactive")


@dataclass(frozen=True)
class CheckResult:
    probe: str
    tolerance: str | int
    ok: bool
    value: str

    def sentence(self) -> str:
        return f"{self.probe} = {self.value} (tolerance {self.tolerance}): {'ok' if self.ok else 'NOT ok'}"


def run_check(check: Check, *, target: Target) -> CheckResult:
    """One steady-state probe; a target error is a failed check, not a crash."""
    cp = target.controlplane
    try:
        if check.probe is SteadyProbe.MEMBERS_HEALTHY:
            healthy = sum(m.healthy for m in cp.members(CHECK_TIMEOUT_S))
            ok = isinstance(check.tolerance, int) and healthy >= check.tolerance
            return CheckResult(check.probe, check.tolerance, ok, str(healthy))
        if check.probe is SteadyProbe.ONE_LEADER:
            leaders = [m.node for m in cp.members(CHECK_TIMEOUT_S) if m.is_leader]
            return CheckResult(check.probe, check.tolerance, len(leaders) == 1, ",".join(leaders) or "none")
        if check.probe is SteadyProbe.LB_ANSWERS:
            lb = target.network.standing_loadbalancer()
            backend = get_backend(lb.ip, lb.port, timeout_s=CHECK_TIMEOUT_S)
            return CheckResult(check.probe, check.tolerance, True, f"{lb.ip} answered by {backend}")
        if check.probe is SteadyProbe.STORAGE_HEALTH_OK:
            status = target.storage.health(CHECK_TIMEOUT_S * 5)
            allowed = target.profile.expectations.allowed_ceph_warnings
            ok = (status.health == "HEALTH_OK" or not status.warnings_except(allowed)) \
                and status.all_pgs_active_clean
            return CheckResult(check.probe, check.tolerance, ok, status.summary())
        if check.probe is SteadyProbe.VIP_ANSWERS:
            holder = cp.vip_holder()
            cp_nodes = {n.name for n in target.profile.controlplane_nodes()}
            if holder not in cp_nodes:
                return CheckResult(check.probe, check.tolerance, False, f"held by {holder or 'nobody'}")
            cp.roundtrip(CHECK_TIMEOUT_S)
            return CheckResult(check.probe, check.tolerance, True, f"held by {holder}, answers")
        cp.roundtrip(CHECK_TIMEOUT_S)
        return CheckResult(check.probe, check.tolerance, True, "ok")
    except (TargetError, HttpProbeError, OSError, TimeoutError) as error:
        return CheckResult(check.probe, check.tolerance, False, describe(error))


def observe_operation(observation: Observation, *, target: Target) -> Operation:
    cp, timeout_s = target.controlplane, observation.timeout_s
    if observation.probe in (ObserveProbe.LB_HTTP, ObserveProbe.LB_ANNOUNCER):
        network = target.network
        lb = network.standing_loadbalancer()  # made now, before the method: not during the fault

        if observation.probe is ObserveProbe.LB_ANNOUNCER:
            return _value_of(lambda: network.announcer(lb), missing=f"nobody announces {lb.ip}")
        return lambda: get_backend(lb.ip, lb.port, timeout_s=timeout_s)
    if observation.probe is ObserveProbe.STORAGE_HEALTH:
        storage = target.storage

        def health() -> str:
            status = storage.health(timeout_s)
            return status.health + (" degraded" if status.degraded else "")
        return health
    if observation.probe is ObserveProbe.RBD_WRITE:
        raise TargetError(f"{observation.probe} is not sampled: the observer runs fio for it")
    if observation.probe is ObserveProbe.VIP_HOLDER:
        return _value_of(cp.vip_holder, missing="nobody holds the VIP")
    if observation.probe is ObserveProbe.LEADER:
        return _value_of(lambda: cp.leader(timeout_s), missing="no single leader")
    if observation.probe is ObserveProbe.TERM:
        return _value_of(lambda: cp.term(timeout_s), missing="no member reports a raft term")
    return lambda: cp.roundtrip(timeout_s)


def _value_of(read: Callable[[], object | None], *, missing: str) -> Operation:
    """A sample whose value is what `read` returns (counted by `changes`); none is a failure."""

    def sample() -> str:
        found = read()
        if found is None:
            raise TargetError(missing)
        return str(found)

    return sample
