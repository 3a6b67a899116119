"""Owed rollbacks (issue 17, part 2): each fault's undo is on disk before the fault is applied,
settled once undone, and healed by the next session when the harness died in between."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.chaos import RunContext, parse_scenario, run_scenario
from harness.chaos.owed import LEDGER_NAME, RollbackLedger, pay_owed
from harness.errors import HarnessError
from harness.targets.base import Member, Undo
from tests.unit.chaos_fakes import FakeFaults, FakeTarget
from tests.unit.test_chaos_runner import POWER_LOSS

KILL = """
title: etcd killed
steady_state:
  - {probe: api.roundtrip}
method:
  - {action: kill, service: etcd, target: controlplane.etcd_leader, duration_s: 0.1}
  - {action: degrade_link, rate_mbit: 10, target: controlplane.etcd_leader, duration_s: 0.1}
"""


class HealingFaults(FakeFaults):
    """The fake's faults, with the from-scratch heal a fresh process uses."""

    def heal(self, action: str, node: str, service: str | None = None) -> str:
        self.c.calls.append(f"heal {action} {node}" + (f" {service}" if service else ""))
        self.c.down.discard(node)
        return f"{node} healed"


def test_owed_until_settled_and_the_file_goes_when_all_are_paid(tmp_path: Path) -> None:
    ledger = RollbackLedger.in_results(tmp_path)
    first = ledger.owe(target="lab://lab", action="power_off", node="cp1", scenario="s")
    second = ledger.owe(target="lab://lab", action="kill", node="cp2", service="etcd")
    ledger.owe(target="kubernetes://other", action="partition", node="n1")
    assert [e.id for e in ledger.outstanding("lab://lab")] == [first.id, second.id]
    ledger.settle(first.id)
    assert [e.node for e in ledger.outstanding()] == ["cp2", "n1"]
    for entry in ledger.outstanding():
        ledger.settle(entry.id)
    assert not (tmp_path / LEDGER_NAME).exists()


def test_a_torn_last_line_is_skipped_not_fatal(tmp_path: Path) -> None:
    ledger = RollbackLedger.in_results(tmp_path)
    kept = ledger.owe(target="lab://lab", action="partition", node="cp3")
    with (tmp_path / LEDGER_NAME).open("a") as out:
        out.write('{"owed": {"id": "x", "target": "lab://la')  # a kill in the middle of a write
    assert [e.id for e in ledger.outstanding()] == [kept.id]


def test_each_fault_is_owed_before_it_is_applied_and_settled_after_its_undo(tmp_path: Path) -> None:
    target = FakeTarget()
    ledger = RollbackLedger.in_results(tmp_path)
    seen: list[list[str]] = []
    original = target.faults.power_off

    def power_off(node: str) -> Undo:
        seen.append([f"{e.action} {e.node}" for e in ledger.outstanding(target.id)])
        return original(node)

    target.faults.power_off = power_off  # type: ignore[method-assign]
    context = RunContext(target=target, profile=target.profile, source="t.yaml",
                         lock_path=tmp_path / "chaos.lock", poll_interval_s=0.05, ledger=ledger)
    result = run_scenario(parse_scenario(POWER_LOSS), context=context)
    assert result.status == "completed"
    assert seen == [["power_off cp1"]]  # on disk when the fault went in
    assert ledger.outstanding() == []


def test_a_harness_that_died_mid_fault_is_healed_by_the_next_one(tmp_path: Path) -> None:
    ledger = RollbackLedger.in_results(tmp_path)
    target = FakeTarget()
    target._faults = HealingFaults(target)
    # What a SIGKILL between the fault and its undo leaves: the faults applied, both still owed.
    ledger.owe(target=target.id, action="kill", node="cp1", service="etcd", scenario="etcd killed")
    ledger.owe(target=target.id, action="partition", node="cp2")
    ledger.owe(target="lab://elsewhere", action="power_off", node="cp3")
    said: list[str] = []
    assert pay_owed(ledger, target, say=said.append) == 2
    assert target.cluster.calls == ["heal kill cp1 etcd", "heal partition cp2"]
    assert len(said) == 3 and "etcd killed" in said[0]
    assert said[2].startswith("steady state back") and "controlplane.one_leader = cp1" in said[2]
    assert [e.target for e in ledger.outstanding()] == ["lab://elsewhere"]  # not this target's


class SlowRejoin(HealingFaults):
    """The heal works, yet the member needs a few checks' time to count as healthy again."""

    def __init__(self, target: FakeTarget, checks_until_back: int | None) -> None:
        super().__init__(target)
        self.checks_until_back = checks_until_back

    def heal(self, action: str, node: str, service: str | None = None) -> str:
        done = super().heal(action, node, service)
        self.c.down.add(node)
        original = self.t.controlplane.members

        def members(timeout_s: float = 2.0) -> list[Member]:
            if self.checks_until_back is not None:  # None: never back
                self.checks_until_back -= 1
                if self.checks_until_back <= 0:
                    self.c.down.discard(node)
            return original(timeout_s)

        self.t.controlplane.members = members  # type: ignore[method-assign]
        return done


@pytest.mark.parametrize("checks_until_back", [3, None])
def test_the_next_session_waits_for_the_owing_scenarios_steady_state(
        tmp_path: Path, checks_until_back: int | None) -> None:
    ledger = RollbackLedger.in_results(tmp_path)
    target = FakeTarget()
    target._faults = SlowRejoin(target, checks_until_back)
    ledger.owe(target=target.id, action="partition", node="cp2", scenario="follower partitioned",
               steady_state=(("controlplane.members_healthy", 3),), recovery_timeout_s=0.3)
    said: list[str] = []
    if checks_until_back is None:  # one sentence, and the debt itself is paid
        with pytest.raises(HarnessError, match=r"did not come back within 0.3 s: "
                                               r"controlplane.members_healthy = 2"):
            pay_owed(ledger, target, say=said.append, sleep=lambda s: None)
    else:
        assert pay_owed(ledger, target, say=said.append, sleep=lambda s: None) == 1
        assert said[-1].startswith("steady state back") and "members_healthy = 3" in said[-1]
    assert ledger.outstanding() == []


def test_a_heal_that_fails_keeps_its_debt_and_says_so(tmp_path: Path) -> None:
    ledger = RollbackLedger.in_results(tmp_path)
    target = FakeTarget()  # FakeFaults has no heal for a partition: the base refuses
    ledger.owe(target=target.id, action="partition", node="cp2")
    with pytest.raises(HarnessError, match=r"partition cp2 on fake.*cannot heal partition"):
        pay_owed(ledger, target, say=lambda line: None)
    assert len(ledger.outstanding()) == 1


def test_scenario_runs_owe_every_fault_kind(tmp_path: Path) -> None:
    target = FakeTarget()
    ledger = RollbackLedger.in_results(tmp_path)
    context = RunContext(target=target, profile=target.profile, source="t.yaml",
                         lock_path=tmp_path / "chaos.lock", poll_interval_s=0.05, ledger=ledger)
    rows, checks = [], []
    original = ledger.owe

    def owe(**kwargs: str) -> object:
        rows.append((kwargs["action"], kwargs.get("service")))
        checks.append(kwargs["steady_state"])
        return original(**kwargs)  # type: ignore[arg-type]

    ledger.owe = owe  # type: ignore[method-assign, assignment]
    run_scenario(parse_scenario(KILL), context=context)
    assert rows == [("kill", "etcd"), ("degrade_link", None)]
    assert checks == [(("api.roundtrip", "ok"),)] * 2  # what healed means, for the next session
    assert ledger.outstanding() == []


def test_recover_lists_what_is_owed_and_forgets_it_on_request(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from harness.cli import app

    profile = Path(__file__).resolve().parents[2] / "profiles" / "lab.yaml"
    ledger = RollbackLedger.in_results(tmp_path)
    ledger.owe(target="lab://lab", action="power_off", node="cp2", scenario="VIP holder power loss")
    args = ["chaos", "recover", "--profile", str(profile), "--results-dir", str(tmp_path)]
    listed = CliRunner().invoke(app, [*args, "--forget"], env={"COLUMNS": "200"})
    assert listed.exit_code == 0, listed.output
    assert "1 rollback(s) owed on lab://lab" in listed.output
    assert "power_off cp2 on lab://lab" in listed.output and "VIP holder power loss" in listed.output
    assert ledger.outstanding() == []
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0 and "nothing owed on lab://lab" in again.output
