"""Every network check and the LB failover scenario fail on their seeded lab defect.

Runs the harness's own pytest on `suites/network` against a lab built with each defect and
reads the run file: exactly the named checks fail, everything else passes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.targets.lab import LabTarget
from suites.network.policy_cases import CASES
from tests.lab.harness_run import defect_profile, run_harness

pytestmark = pytest.mark.lab

POLICY_CASES = {f"test_policy_matrix[{case}]" for case in CASES if case != "no-policies"}
EGRESS_CASES = {"test_policy_matrix[egress-deny-dns-allowed]", "test_policy_matrix[cnp-egress-deny]"}
SLOW = "wk1"
SLOW_LINK = {f"test_node_to_node_goodput[{a}->{b}]" for a, b in
             [(n, SLOW) for n in ("cp1", "cp2", "cp3")] + [(SLOW, n) for n in ("cp1", "cp2", "cp3")]} | {
    f"test_pod_to_pod_goodput[cp3->{SLOW}]", f"test_pod_to_pod_goodput[{SLOW}->cp1]"}

SUITE_DEFECTS = {
    "no-policy-enforcement": POLICY_CASES,
    "egress-ignored": EGRESS_CASES,
    "lb-single-backend": {"test_every_backend_gets_traffic"},
    f"slow-link:{SLOW}": SLOW_LINK,
}


@pytest.mark.parametrize("defect", sorted(SUITE_DEFECTS))
def test_network_checks_fail_on_their_defect(shared_lab: LabTarget, tmp_path: Path, defect: str) -> None:
    run = run_harness(tmp_path, "suites/network", profile=defect_profile(tmp_path, defect))
    assert run.returncode == 1, run.output
    assert run.failed() == SUITE_DEFECTS[defect], run.output


def test_healthy_network_suite_passes(shared_lab: LabTarget, tmp_path: Path) -> None:
    run = run_harness(tmp_path, "suites/network")
    assert run.returncode == 0, run.output
    assert len(run.timelines("policy-matrix")) == len(CASES)


def test_lb_failover_scenario_fails_when_the_announcer_is_stuck(shared_lab: LabTarget,
                                                                 tmp_path: Path) -> None:
    run = run_harness(tmp_path, "scenarios/lb-announcer-power-loss.yaml", "--allow-disruption",
                      profile=defect_profile(tmp_path, "announcer-stuck"))
    assert run.returncode == 1, run.output
    assert run.failed() == {"lb-announcer-power-loss"}, run.output
    assert "announcer.changes = 0, expected >= 1: NOT met" in run.output
