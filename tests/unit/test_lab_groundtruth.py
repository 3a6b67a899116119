"""Ground truth from keepalived's notify lines and etcd's election log, folded into the event log."""

from __future__ import annotations

from pathlib import Path

from harness.profile import load_profile
from harness.targets.lab.config import make_plan
from harness.targets.lab.groundtruth import LabEventLog, parse_leader_line, parse_vip_line

REPO = Path(__file__).resolve().parents[2]
LEADER = ('{"level":"info","ts":"2026-11-23T21:29:06.244Z","caller":"raft/raft.go:771",'
          '"msg":"bee5ac6146935012 became leader at term 2"}')


def test_parses_a_notify_line() -> None:
    assert parse_vip_line("1795469349.809232935 cp1 MASTER") == (1795469349.809232935, "cp1", "MASTER")
    assert parse_vip_line("garbage") is None
    assert parse_vip_line("x cp1 MASTER") is None


def test_parses_an_etcd_election_line_with_its_own_timestamp() -> None:
    when, term = parse_leader_line(LEADER) or (0.0, 0)
    assert term == 2
    assert abs(when - 1795469346.244) < 1e-3
    assert parse_leader_line('{"msg":"something else"}') is None
    assert parse_leader_line("became leader at term but not json") is None


def test_event_log_folds_in_new_lines_once(tmp_path: Path) -> None:
    profile = load_profile(REPO / "profiles" / "lab.yaml")
    profile = profile.model_copy(update={"lab": profile.lab.model_copy(update={"state_dir": tmp_path})})
    plan = make_plan(profile)
    plan.log_path("cp2", "etcd").parent.mkdir(parents=True)
    plan.vip_events_path.write_text("100.5 cp1 BACKUP\n101.0 cp1 MASTER\n")
    log = LabEventLog(plan=plan)
    log.stamp("power-off", "cp1", at=102.0)
    with plan.vip_events_path.open("a") as handle:
        handle.write("102.1 cp1 FAULT\n104.75 cp2 MASTER\n105.0 cp3 BACK")  # last line half-written
    plan.log_path("cp2", "etcd").write_text(LEADER + "\n")
    events = log.since(0)
    assert [(e.kind, e.node, e.time) for e in events if e.time < 200] == [
        ("vip-moved", "cp1", 101.0), ("power-off", "cp1", 102.0), ("vip-released", "cp1", 102.1),
        ("vip-moved", "cp2", 104.75)]
    assert [(e.kind, e.node, e.detail) for e in events if e.time > 200] == [
        ("leader-elected", "cp2", "term 2")]
    assert len(log.since(0)) == len(events)  # read once, not again


def test_a_new_target_skips_history(tmp_path: Path) -> None:
    profile = load_profile(REPO / "profiles" / "lab.yaml")
    profile = profile.model_copy(update={"lab": profile.lab.model_copy(update={"state_dir": tmp_path})})
    plan = make_plan(profile)
    plan.vip_events_path.write_text("101.0 cp1 MASTER\n")
    log = LabEventLog(plan=plan)
    log.skip_history()
    assert log.since(0) == []


def test_a_fresh_start_after_power_off_is_no_release(tmp_path: Path) -> None:
    profile = load_profile(REPO / "profiles" / "lab.yaml")
    profile = profile.model_copy(update={"lab": profile.lab.model_copy(update={"state_dir": tmp_path})})
    plan = make_plan(profile)
    plan.vip_events_path.write_text("101.0 cp1 MASTER\n")
    log = LabEventLog(plan=plan)
    log.forget_holder("cp1")  # powered off while holding the VIP
    with plan.vip_events_path.open("a") as handle:
        handle.write("104.0 cp2 MASTER\n110.0 cp1 BACKUP\n")
    assert [(e.kind, e.node) for e in log.since(0)] == [("vip-moved", "cp1"), ("vip-moved", "cp2")]
