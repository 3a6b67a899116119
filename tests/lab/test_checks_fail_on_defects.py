"""Every control-plane check and every shipped scenario fails on its seeded lab defect.

Each case runs the harness's own pytest in a subprocess against a lab built with the defect
(the session rebuilds the lab when its defects differ, and takes it down at the end), then
reads the run file: exactly the named checks must fail, everything else must pass.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.targets.lab import LabTarget
from tests.lab.harness_run import defect_profile, run_harness

pytestmark = pytest.mark.lab

SUITE_DEFECTS = {
    "etcd-two-members": {"test_all_members_healthy", "test_member_reachable_directly[cp3]"},
    "etcd-split-brain": {"test_exactly_one_leader"},
    "vip-unassigned": {"test_vip_answers", "test_vip_held_by_a_controlplane_node",
                       "test_api_roundtrip_latency"},
    "vip-on-worker": {"test_vip_answers", "test_vip_held_by_a_controlplane_node",
                      "test_api_roundtrip_latency"},
    "congested-switch": {"test_api_roundtrip_latency"},
}

SCENARIO_DEFECTS = {
    "vip-stuck": ("vip-holder-power-loss", "vip.changes = 0, expected >= 1: NOT met"),
    "etcd-slow-election": ("etcd-leader-killed", "api.longest_unavailable_s = "),
    # The forced election costs 0.7-2 s of API: the term moving is the certain sign of it.
    "etcd-no-prevote": ("follower-partitioned", "term.changes = "),
}


@pytest.mark.parametrize("defect", sorted(SUITE_DEFECTS))
def test_controlplane_checks_fail_on_their_defect(shared_lab: LabTarget, tmp_path: Path,
                                                   defect: str) -> None:
    run = run_harness(tmp_path, "suites/controlplane", profile=defect_profile(tmp_path, defect))
    assert run.returncode == 1, run.output
    assert run.failed() == SUITE_DEFECTS[defect], run.output
    assert len(run.outcomes()) == 8


def test_every_controlplane_check_has_a_defect() -> None:
    checks = {"test_all_members_healthy", "test_exactly_one_leader", "test_vip_answers",
              "test_vip_held_by_a_controlplane_node", "test_member_reachable_directly",
              "test_api_roundtrip_latency"}
    source = (Path(__file__).resolve().parents[2] / "suites" / "controlplane" /
              "test_controlplane.py").read_text()
    assert {line.split("(")[0][4:] for line in source.splitlines() if line.startswith("def test_")} == checks
    covered = {name.split("[")[0] for names in SUITE_DEFECTS.values() for name in names}
    assert covered == checks


@pytest.mark.parametrize("defect", sorted(SCENARIO_DEFECTS))
def test_scenario_fails_on_its_defect(shared_lab: LabTarget, tmp_path: Path, defect: str) -> None:
    scenario, reason = SCENARIO_DEFECTS[defect]
    run = run_harness(tmp_path, f"scenarios/{scenario}.yaml", "--allow-disruption",
                      profile=defect_profile(tmp_path, defect))
    assert run.returncode == 1, run.output
    assert run.failed() == {scenario}, run.output
    assert reason in run.output
    [journal] = run.timelines("chaos-journal")
    assert journal["data"]["status"] == "completed"  # it ran through, rollbacks included
    assert not journal["data"]["passed"]
