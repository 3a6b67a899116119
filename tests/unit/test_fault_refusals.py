"""`stop` and `kill` are different faults, and a target refuses what it cannot do up front:
before any guard touches the cluster, and in the dry run with the same sentence."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.chaos import GuardError, RunContext, load_scenario, parse_scenario, run_scenario
from harness.chaos.errors import ScenarioError
from harness.chaos.plan import plan_scenario
from harness.chaos.refusals import target_refusals
from tests.unit.chaos_fakes import FakeTarget

ROOT = Path(__file__).resolve().parents[2]

STOP_LEADER = """
title: etcd leader stopped
steady_state:
  - {probe: api.roundtrip}
  - {probe: controlplane.members_healthy, tolerance: 3}
method:
  - {action: stop, service: etcd, target: controlplane.etcd_leader, duration_s: 0.3}
observe:
  api: {rate_hz: 50, duration_s: 0.7, lead_s: 0.1, timeout_s: 0.1}
  term: {probe: controlplane.term, rate_hz: 20, duration_s: 0.7, lead_s: 0.1}
expectations:
  - api.availability_pct >= 99
  - term.changes >= 1
  - events.stop.count == 1
rollbacks: []
recovery_timeout_s: 1
"""


def context(target: FakeTarget, tmp_path: Path) -> RunContext:
    return RunContext(target=target, profile=target.profile, source="test.yaml",
                      lock_path=tmp_path / "chaos.lock", poll_interval_s=0.05)


def test_stop_is_its_own_action_and_names_a_service() -> None:
    with pytest.raises(ScenarioError, match="service is required for kill and stop"):
        parse_scenario(STOP_LEADER.replace("service: etcd, ", ""))


def test_a_graceful_stop_runs_as_stop_and_its_undo_starts_the_service(tmp_path: Path) -> None:
    target = FakeTarget()
    result = run_scenario(parse_scenario(STOP_LEADER), context=context(target, tmp_path))
    assert result.passed, result.problems()
    assert target.cluster.calls == ["stop-etcd cp1", "undo stop-etcd cp1"]  # never a kill


def test_a_refused_fault_stops_the_run_before_any_guard_touches_the_cluster(tmp_path: Path) -> None:
    target = FakeTarget()
    target.faults.refused["stop"] = "this fake cannot stop services"  # type: ignore[attr-defined]
    with pytest.raises(GuardError) as refused:
        run_scenario(parse_scenario(STOP_LEADER), context=context(target, tmp_path))
    assert "fake://fake cannot run this scenario: method[0] stop: this fake cannot stop services" in str(
        refused.value)
    assert refused.value.result is not None and refused.value.result.status == "refused"
    names = [e.name for e in refused.value.result.journal]
    assert names[:2] == ["guard: one scenario at a time", "guard: the target can run every step"]
    assert not any(name.startswith(("steady state", "bind roles", "method")) for name in names)
    assert target.cluster.calls == []


def test_the_plan_says_why_the_target_refuses(tmp_path: Path) -> None:
    target = FakeTarget()
    target.faults.refused["power_off"] = "no BMC here"  # type: ignore[attr-defined]
    target.faults.refused["power_on"] = "no BMC here"  # type: ignore[attr-defined]
    scenario = load_scenario(ROOT / "scenarios" / "vip-holder-power-loss.yaml")
    refusals = target_refusals(scenario, target)
    assert refusals == ["method[0] power_off: no BMC here", "rollback[0] power_on: no BMC here"]
    plan = plan_scenario(scenario, profile=target.profile, source="x.yaml", lock_path=tmp_path / "l",
                         describe_fault=lambda *_: "call", target_refusals=refusals)
    assert plan.refused == "the target cannot run it: " + "; ".join(refusals)
    assert "WOULD BE REFUSED: the target cannot run it: method[0] power_off: no BMC here" in plan.text()


def test_background_fio_is_asked_of_the_targets_storage() -> None:
    target = FakeTarget()  # has no storage at all: its sentence is the refusal
    scenario = load_scenario(ROOT / "scenarios" / "osd-node-power-loss.yaml")
    assert target_refusals(scenario, target) == [
        "observe io (storage.rbd_write): the fake target has no storage capabilities yet"]


def test_the_fault_counts_from_when_the_target_stamped_it_in_force(tmp_path: Path) -> None:
    """A partition pod on a real node cuts seconds after it is created: the figures measured
    from the fault start at its stamp, not at the call."""
    target = FakeTarget()
    late_s = 0.4

    def armed_then_cut(node: str, heal_after_s: float | None = None) -> Callable[[], None]:
        cut_at = time.time() + late_s
        time.sleep(late_s)
        target.events.stamp("partition", node, at=cut_at)
        return lambda: None

    target.faults.partition = armed_then_cut  # type: ignore[method-assign]
    scenario = parse_scenario(STOP_LEADER.replace(
        "{action: stop, service: etcd, target: controlplane.etcd_leader, duration_s: 0.3}",
        "{action: partition, node: cp2, duration_s: 0.3}").replace(
        "  - events.stop.count == 1\n", "  - events.partition.after_fault_s == 0\n").replace(
        "  - term.changes >= 1\n", ""))
    started = time.time()
    result = run_scenario(scenario, context=context(target, tmp_path))
    assert result.passed, result.problems()
    [stamp] = [e for e in target.events.since(started) if e.kind == "partition"]
    assert stamp.time - started >= late_s  # the stamp came late, and the fault counts from it
