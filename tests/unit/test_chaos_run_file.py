"""`harness chaos run` writes a run file as a pytest session does (issue 13): started before the
scenario, the outcome, the journal and the figures recorded, the status set at the merge."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.chaos import parse_scenario, run_scenario
from harness.chaos.run_file import scenario_run_file
from harness.results import load_frames
from harness.results.store import run_file_path
from tests.unit.chaos_fakes import FakeTarget
from tests.unit.test_chaos_runner import POWER_LOSS, context


def test_a_scenario_run_outside_pytest_leaves_a_complete_run_file(tmp_path: Path) -> None:
    target = FakeTarget()
    scenario = parse_scenario(POWER_LOSS)
    runs = tmp_path / "runs"
    with scenario_run_file(runs, target, source="scenarios/x.yaml", title=scenario.title) as run:
        started = json.loads(run_file_path(runs, run.meta.id).read_text())
        assert started["run"]["status"] == "running"  # on disk before the scenario starts
        result = run_scenario(scenario, context=context(target, tmp_path))
        run.record(result)
    document = json.loads(run_file_path(runs, run.meta.id).read_text())
    assert document["run"]["status"] == ("passed" if result.passed else "failed")
    assert document["run"]["target"] == target.id
    assert [o["nodeid"] for o in document["outcomes"]] == ["scenarios/x.yaml::VIP holder power loss"]
    kinds = {t["kind"] for t in document["timelines"]}
    assert "chaos-journal" in kinds
    assert document["measurements"] == []  # each figure once: in its probe timeline
    measured = set(load_frames(runs).measurements["metric"])
    assert {"chaos.api.longest_unavailable_s", "chaos.api.availability_pct"} <= measured, measured
    assert not (runs / ".partial" / run.meta.id).exists()  # merged


def test_an_interrupted_scenario_run_is_marked_interrupted(tmp_path: Path) -> None:
    target = FakeTarget()
    runs = tmp_path / "runs"
    with pytest.raises(KeyboardInterrupt),  \
            scenario_run_file(runs, target, source="s.yaml", title="t") as run:
        raise KeyboardInterrupt
    document = json.loads(run_file_path(runs, run.meta.id).read_text())
    assert document["run"]["status"] == "interrupted" and document["outcomes"] == []
