"""Windows stretched to the profile's bounds: never shortened, each stretch said in the plan."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.chaos import load_scenario
from harness.chaos.model import Scenario
from harness.chaos.slo_windows import fit_windows, margin_s
from harness.profile import defect_map as dm
from harness.profile import load_profile

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))


def _scenario(name: str) -> Scenario:
    return load_scenario(ROOT / "scenarios" / f"{name}.yaml")


@pytest.mark.parametrize("profile", [dm.LAB, dm.KUBE_LAB])
@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_the_lab_windows_already_cover_the_lab_bounds(path: Path, profile: str) -> None:
    # The shipped scenarios are written for the lab: stretching there would change what the
    # defect tests measured (an availability over a longer window, for one).
    if not any(f"scenarios/{path.name}".startswith(scope) for scope in dm.SCOPE[profile]):
        pytest.skip(f"{profile} does not run {path.name}")
    fitted = fit_windows(load_scenario(path), load_profile(ROOT / profile))
    observing = [s for s in fitted.stretches if s.what.startswith("observe.")]
    if path.stem == "osd-node-power-loss" and profile == dm.LAB:
        # Ceph's 65 s to HEALTH_OK after power-on needs 121.25 s of health samples, not 110.
        assert [(s.what, s.fitted_s) for s in observing] == [("observe.health.duration_s", 121.25)]
    else:
        assert observing == []


def test_a_talos_vip_bound_stretches_the_observation_past_it() -> None:
    homelab = load_profile(ROOT / "profiles" / "homelab.example.yaml")
    fitted = fit_windows(_scenario("vip-holder-power-loss"), homelab)
    bound = homelab.expectations.api_unavailable_on_power_loss_max_s  # 15 s
    lead = 1.0
    assert fitted.scenario.observe["api"].duration_s == lead + bound + margin_s(bound) == 19.75
    # The VIP observation carries no time bound of its own: it stays as written.
    assert fitted.scenario.observe["vip"].duration_s == 13
    assert [s.sentence() for s in fitted.stretches] == [
        "window: observe.api.duration_s 13 s -> 19.75 s, so that api.longest_unavailable_s <= 15 s "
        "is judged with a margin of 3.75 s"]


def test_a_bound_after_power_on_counts_from_the_end_of_the_method_and_sets_the_recovery_wait() -> None:
    homelab = load_profile(ROOT / "profiles" / "homelab.example.yaml")
    fitted = fit_windows(_scenario("osd-node-power-loss"), homelab)
    # lead 5 s + power-off 35 s + 65 s to HEALTH_OK + 16.25 s margin
    assert fitted.scenario.observe["health"].duration_s == 121.25
    assert fitted.scenario.recovery_timeout_s == 81.25


def test_a_window_is_never_shortened_and_lower_bounds_do_not_count() -> None:
    lab = load_profile(ROOT / "profiles" / "lab.yaml")
    scenario = _scenario("follower-partitioned")  # bound 1 s, window 14 s; availability >= 90
    fitted = fit_windows(scenario, lab)
    assert fitted.scenario == scenario and fitted.stretches == ()


def test_the_dry_run_plan_prints_the_windows_it_will_use() -> None:
    from harness.chaos.plan import plan_scenario

    homelab = load_profile(ROOT / "profiles" / "homelab.example.yaml")
    plan = plan_scenario(_scenario("lb-announcer-power-loss"), profile=homelab, source="x",
                         lock_path=Path("/tmp/lock"), describe_fault=lambda *a: "call")
    lines = plan.lines
    assert any("observe.http.duration_s 14 s -> 26 s" in line for line in lines)
    assert any(line.split(". ", 1)[1].startswith("observe http:") and "for 26 s" in line
               for line in lines)
