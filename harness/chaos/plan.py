"""A scenario's plan: what a run would do, in the runner's order, built from the model alone.

No probe runs and no role is resolved (that would ask the cluster): roles are listed with the
nodes that could play them, the quorum guard is evaluated against the profile's control plane,
and each fault names what the target would call (`describe_fault`, per candidate node).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from harness.chaos.expressions import parse_expectation, profile_value
from harness.chaos.guards import takes_member_down
from harness.chaos.io_writer import IMAGE_GIB, writer_job
from harness.chaos.model import Action, Aim, FaultStep, ObserveProbe, Scenario
from harness.chaos.slo_windows import fit_windows
from harness.profile import Profile
from harness.workloads.fio import FioJob

DescribeFault = Callable[[str, str, "str | None", "float | None", "float | None"], str]
"""(action, node, service, duration_s, rate_mbit) -> one sentence of what the target would call."""
DescribeWriter = Callable[[FioJob, float, Sequence[str]], str]
"""(fio job, volume GiB, nodes the method disrupts) -> what the target would create for the
background writer (its objects go into the plan)."""


@dataclass(frozen=True)
class ScenarioPlan:
    title: str
    source: str
    lines: tuple[str, ...]
    refused: str | None = None  # a guard rail that would stop the run, known from the profile

    def text(self) -> str:
        head = f"scenario {self.title!r} ({self.source})"
        tail = [f"  WOULD BE REFUSED: {self.refused}"] if self.refused else []
        return "\n".join([head, *(f"  {line}" for line in self.lines), *tail])


@dataclass
class _Lines:
    items: list[str] = field(default_factory=list)

    def add(self, text: str) -> None:
        self.items.append(f"{len(self.items) + 1:2}. {text}")


def candidates(aim: Aim, profile: Profile) -> list[str]:
    """Nodes that could play an aim when the run binds it."""
    if aim.node is not None:
        return [aim.node]
    if aim.target == "network.lb_announcer":
        return [n.name for n in profile.nodes]
    if aim.target == "storage.osd_node":  # workers first, as the run binds it
        return [n.name for n in sorted(profile.nodes, key=lambda n: (n.is_controlplane, n.name))]
    return [n.name for n in profile.controlplane_nodes()]


def _aim_text(aim: Aim, profile: Profile) -> str:
    if aim.node is not None:
        return aim.node
    others = "".join(f", not {r}" for r in aim.excluding)
    return f"<{aim.target}{others}> (one of {', '.join(candidates(aim, profile))}, bound at run time)"


def _quorum(method: Sequence[FaultStep], profile: Profile) -> tuple[str, str | None]:
    down = {s.selector for s in method if takes_member_down(s)}
    members = len(profile.controlplane_nodes())
    remaining = members - len(down)
    summary = (f"guard: quorum — the method takes down up to {len(down)} member(s); {remaining} of "
               f"{members} remain if all are healthy, quorum needs {profile.quorum}")
    refused = None if remaining >= profile.quorum else f"quorum: {summary}"  # counted as members
    return summary, refused


def _limit(text: str, profile: Profile) -> str:
    parsed = parse_expectation(text)
    if parsed.profile_path is None:
        return text
    return f"{text}  [= {profile_value(profile, parsed.profile_path):g} from the profile]"


def plan_scenario(scenario: Scenario, *, profile: Profile, source: str, lock_path: Path,
                  describe_fault: DescribeFault, target_refusals: Sequence[str] = (),
                  describe_writer: DescribeWriter | None = None) -> ScenarioPlan:
    """`target_refusals`: what the target can never run of it (`chaos.refusals`), said first.
    `describe_writer`: what the target creates for a background writer, which stays off the
    nodes the method disrupts (planned as if each aim binds its first candidate)."""
    out = _Lines()
    if target_refusals:
        out.add("guard: the target can run every step — it cannot: " + "; ".join(target_refusals))
    fitted = fit_windows(scenario, profile)
    scenario = fitted.scenario  # the windows the run will use, stretched to the profile's bounds
    for stretch in fitted.stretches:
        out.add(stretch.sentence())
    out.add(f"guard: one scenario at a time (lock {lock_path})")
    for check in scenario.steady_state:
        out.add(f"guard: steady state before — {check.probe} (tolerance {check.tolerance})")
    aims = [a for a in [*scenario.method, *scenario.rollbacks] if a.target]
    for selector in dict.fromkeys(a.selector for a in aims):
        aim = next(a for a in aims if a.selector == selector)
        out.add(f"bind role {selector} to {_aim_text(aim, profile)}")
    quorum, refused = _quorum(scenario.method, profile)
    out.add(quorum)
    if any(a.target == "storage.osd_node" for a in aims):
        out.add("guard: ok-to-stop — storage.osd_node binds the first candidate (not the VIP holder) "
                "whose OSDs `ceph osd ok-to-stop` lets go; refused when none may")
    for name, obs in scenario.observe.items():
        if obs.probe is ObserveProbe.RBD_WRITE:
            out.add(f"observe {name}: fio writes 4 MiB blocks to a fresh 1 GiB RBD image for "
                    f"{obs.duration_s:g} s (rate-capped, its I/O timeline kept), from {obs.lead_s:g} s "
                    "before the method; the image is removed after the rollbacks")
            if describe_writer is not None and not target_refusals:
                disrupted = [candidates(s, profile)[0] for s in scenario.method
                             if s.action is not Action.PAUSE]
                out.add(f"    {describe_writer(writer_job(name, obs.duration_s), IMAGE_GIB, disrupted)}")
            continue
        samples = int(obs.rate_hz * obs.duration_s)
        out.add(f"observe {name}: {obs.probe} at {obs.rate_hz:g} Hz for {obs.duration_s:g} s "
                f"(≤ {samples} samples, timeout {obs.timeout_s:g} s), from {obs.lead_s:g} s before "
                "the method")
    for index, step in enumerate(scenario.method):
        if step.action is Action.PAUSE:
            out.add(f"method[{index}] pause {step.duration_s:g} s")
            continue
        what = f"{step.action}" + (f" {step.service}" if step.service else "")
        out.add(f"method[{index}] {step.name or what} on {_aim_text(step, profile)}")
        for node in candidates(step, profile):
            call = describe_fault(step.action.value, node, step.service, step.duration_s,
                                  step.rate_mbit)
            out.add(f"    on {node}: {call}")
        if step.duration_s:
            out.add(f"method[{index}] after {step.duration_s:g} s: undo {what}")
    out.add(f"steady state after: the checks above, retried for up to {scenario.recovery_timeout_s:g} s")
    out.add("rollbacks (always, even after a failure, Ctrl-C or SIGTERM): undo every fault not yet "
            "undone, newest first")
    for index, rollback in enumerate(scenario.rollbacks):
        if rollback.action.value == "pause":
            out.add(f"rollback[{index}] pause {rollback.duration_s:g} s")
            continue
        out.add(f"rollback[{index}] {rollback.action} {_aim_text(rollback, profile)}")
        for node in candidates(rollback, profile):
            out.add(f"    on {node}: {describe_fault(rollback.action.value, node, None, None, None)}")
    for text in scenario.expectations:
        out.add(f"expect {_limit(text, profile)}")
    if target_refusals:
        refused = "the target cannot run it: " + "; ".join(target_refusals)
    return ScenarioPlan(scenario.title, source, tuple(out.items), refused)
