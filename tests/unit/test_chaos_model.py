"""Scenario validation: every problem at once, with its path; the shipped scenarios validate."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.chaos import ScenarioError, is_scenario_document, load_scenario, parse_scenario, profile_problems
from harness.chaos.expressions import evaluate, parse_expectation
from harness.chaos.model import EVENT_KINDS
from harness.errors import HarnessError
from harness.targets.lab import groundtruth
from tests.unit.chaos_fakes import fake_profile

REPO = Path(__file__).resolve().parents[2]

GOOD = """
title: t
steady_state: [{probe: api.roundtrip, tolerance: ok}]
method: [{action: power_off, target: controlplane.vip_holder, duration_s: 1}]
observe: {api: {duration_s: 3}}
expectations: [api.longest_unavailable_s <= profile.expectations.api_unavailable_on_power_loss_max_s]
"""

THREE_MISTAKES = """
title: t
steady_state: [{probe: controlplane.members_healthy, tolerance: 3}]
method:
  - {action: power_off, target: controlplane.leeder}
  - {action: kill, node: cp2}
observe: {api: {duration_s: 3}}
expectations: [api.longest_unavailable_s <= profile.expectations.api_unavailable_max]
"""


def test_good_scenario_parses() -> None:
    scenario = parse_scenario(GOOD)
    assert scenario.method[0].selector == "controlplane.vip_holder"
    assert scenario.observe["api"].rate_hz == 20


def test_three_mistakes_are_reported_at_once_with_paths() -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(THREE_MISTAKES, source="bad.yaml")
    paths = [path for path, _ in caught.value.problems]
    assert paths == ["method[0].target", "method[1]", "expectations[0]"]
    message = str(caught.value)
    assert "scenario bad.yaml has 3 problems" in message
    assert "method[0].target: unknown role 'controlplane.leeder'" in message
    assert "method[1]: service is required for kill" in message
    assert "profile.expectations has no field 'api_unavailable_max'" in message
    assert isinstance(caught.value, HarnessError)


def test_cross_field_problems_name_observations_and_durations() -> None:
    text = GOOD.replace("duration_s: 3", "duration_s: 1.5").replace("api.longest", "apii.longest")
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text)
    assert [p for p, _ in caught.value.problems] == ["expectations[0]", "observe.api.duration_s"]
    assert "names no observation 'apii'" in str(caught.value)


@pytest.mark.parametrize(("text", "fragment"), [
    ("api.x <= 3", "unknown metric 'x'"),
    ("api.availability_pct ~ 3", "cannot read"),
    ("api.availability_pct >= __import__('os')", "neither a number nor profile"),
    ("api.availability_pct >= profile.name", "is not a number"),
])
def test_bad_expectations(text: str, fragment: str) -> None:
    with pytest.raises(ScenarioError, match=fragment):
        parse_scenario(GOOD.replace(
            "api.longest_unavailable_s <= profile.expectations.api_unavailable_on_power_loss_max_s",
            f'"{text}"'))


def test_tolerance_must_fit_the_probe() -> None:
    with pytest.raises(ScenarioError, match=r"steady_state\[0\]: .*count"):
        parse_scenario(GOOD.replace("{probe: api.roundtrip, tolerance: ok}",
                                    "{probe: controlplane.members_healthy, tolerance: ok}"))


def test_expectation_evaluates_against_profile() -> None:
    exp = parse_expectation(
        "api.longest_unavailable_s <= profile.expectations.api_unavailable_on_power_loss_max_s")
    result = evaluate(exp, metrics={"api.longest_unavailable_s": 0.7}, profile=fake_profile())
    assert (result.ok, result.limit, result.measured) == (False, 0.5, 0.7)
    assert "api.longest_unavailable_s = 0.7, expected <= 0.5" in result.sentence()
    missing = evaluate(exp, metrics={}, profile=fake_profile())
    assert not missing.ok
    assert "not measured" in missing.sentence()


def test_unknown_node_is_a_profile_problem() -> None:
    scenario = parse_scenario(GOOD.replace("target: controlplane.vip_holder", "node: cp9"))
    [(path, sentence)] = profile_problems(scenario, fake_profile())
    assert path == "method[0].node"
    assert "cp9" in sentence


@pytest.mark.parametrize("path", sorted((REPO / "scenarios").glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_scenarios_validate(path: Path) -> None:
    scenario = load_scenario(path)
    assert not profile_problems(scenario, fake_profile())
    longest = max(o.duration_s for o in scenario.observe.values())
    # Ceph reports a silent OSD down only after its heartbeat grace (20 s): storage needs longer.
    assert longest <= (120 if "storage." in path.read_text() else 15)


def test_scenario_documents_are_recognised() -> None:
    assert is_scenario_document({"title": "x", "method": []})
    assert not is_scenario_document({"name": "lab"})
    assert not is_scenario_document(["title"])


def test_the_event_catalogue_names_every_kind_a_target_stamps() -> None:
    """`events.<kind>` expectations are checked against EVENT_KINDS: a kind stamped but missing
    there could never be expected; one listed but never stamped would always be 'not measured'."""
    sources = "\n".join(p.read_text() for p in (REPO / "harness" / "targets").rglob("*.py"))
    stamped = set(re.findall(r"""\.stamp\(\s*["']([a-z-]+)["']""", sources))
    stamped |= {groundtruth.VIP_MOVED, groundtruth.VIP_RELEASED, groundtruth.LEADER_ELECTED}
    assert stamped == set(EVENT_KINDS)
