"""scenarios/*.yaml run as disruptive pytest items against the session's target."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from harness.metrics import LONGEST_UNAVAILABLE
from harness.results import load_frames
from tests.plugin.conftest import REPO

SCENARIO = """
title: VIP holder power loss
steady_state: [{probe: api.roundtrip}, {probe: controlplane.members_healthy, tolerance: 3}]
method: [{action: power_off, target: controlplane.vip_holder, duration_s: 0.3}]
observe: {api: {rate_hz: 50, duration_s: 0.6, lead_s: 0.1, timeout_s: 0.1}}
expectations: ["api.longest_unavailable_s <= LIMIT"]
rollbacks: [{action: power_on, target: controlplane.vip_holder}]
recovery_timeout_s: 1
"""


@pytest.fixture
def scenarios(project: pytest.Pytester, tmp_path: Path,
              monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    (project.path / "scenarios").mkdir()
    (project.path / "scenarios" / "notes.yaml").write_text("just: data\n")
    shutil.copy(REPO / "tests" / "unit" / "chaos_fakes.py", project.path / "chaos_fakes.py")
    monkeypatch.setenv("CLUSTER_HARNESS_CHAOS_LOCK", str(tmp_path / "chaos.lock"))
    monkeypatch.setenv("CLUSTER_HARNESS_LOCK", str(tmp_path / "serial.lock"))
    return project


def run(project: pytest.Pytester, *extra: str) -> pytest.RunResult:
    return project.runpytest_subprocess(
        "--target", "chaos_fakes:FakeTarget", "--no-report", "--results-dir", str(project.path / "runs"),
        "scenarios/", *extra)


def test_skipped_without_the_flag(scenarios: pytest.Pytester) -> None:
    (scenarios.path / "scenarios" / "power.yaml").write_text(SCENARIO.replace("LIMIT", "1"))
    result = run(scenarios, "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*--allow-disruption*"])


def test_a_scenario_the_target_refuses_is_skipped_with_why_and_recorded(
        scenarios: pytest.Pytester) -> None:
    (scenarios.path / "scenarios" / "power.yaml").write_text(SCENARIO.replace("LIMIT", "1"))
    result = scenarios.runpytest_subprocess(
        "--target", "chaos_fakes:PowerlessTarget", "--no-report", "--results-dir",
        str(scenarios.path / "runs"), "scenarios/", "--allow-disruption", "-rs")
    result.assert_outcomes(skipped=1)
    assert ("powerless://lab cannot run this scenario: method[0] power_off: this fake has no power "
            "switch") in result.stdout.str()
    [run_file] = (scenarios.path / "runs").glob("*.json")
    [timelines] = load_frames([run_file], timelines=True).timelines.values()
    [scenario] = timelines.scenarios
    assert not scenario.passed


def test_runs_and_records_the_journal(scenarios: pytest.Pytester) -> None:
    (scenarios.path / "scenarios" / "power.yaml").write_text(SCENARIO.replace("LIMIT", "1"))
    run(scenarios, "--allow-disruption", "-v").assert_outcomes(passed=1)
    [run_file] = (scenarios.path / "runs").glob("*.json")
    frames = load_frames([run_file], timelines=True)
    [timelines] = frames.timelines.values()
    [scenario] = timelines.scenarios
    [probe] = timelines.probes
    assert scenario.passed and probe.observation == "api"
    trended = frames.measurements.set_index("metric")["value"]
    assert trended["chaos.api.longest_unavailable_s"] == probe.figure(LONGEST_UNAVAILABLE)


def test_failed_expectation_reads_as_a_sentence(scenarios: pytest.Pytester) -> None:
    (scenarios.path / "scenarios" / "power.yaml").write_text(SCENARIO.replace("LIMIT", "0.01"))
    result = run(scenarios, "--allow-disruption")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*api.longest_unavailable_s = 0.*, expected <= 0.01: NOT met*"])
    assert "Traceback" not in result.stdout.str()
