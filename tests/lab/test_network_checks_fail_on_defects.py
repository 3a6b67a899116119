"""Every network check and the LB failover scenario fail on their seeded lab defect.

Runs the harness's own pytest on `suites/network` against a lab built with each defect and
reads the run file: exactly the named checks fail, everything else passes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.profile.defect_map import LAB, Proof, proofs
from harness.targets.lab import LabTarget
from suites.network.policy_cases import CASES
from tests.lab.harness_run import defect_profile, run_harness

pytestmark = pytest.mark.lab

SUITE_PROOFS = [p for p in proofs(LAB) if p.runs[0].startswith("suites/network")]
LB_FAILOVERS = [p for p in proofs(LAB) if p.runs[0].startswith("scenarios/lb-announcer-")]


@pytest.mark.parametrize("proof", SUITE_PROOFS, ids=[
    p.defect if p.depth == "quick" else f"{p.defect}-full-depth" for p in SUITE_PROOFS])
def test_network_checks_fail_on_their_defect(shared_lab: LabTarget, tmp_path: Path, proof: Proof) -> None:
    run = run_harness(tmp_path, *proof.runs, "--depth", proof.depth,
                      profile=defect_profile(tmp_path, *proof.seeded))
    assert run.returncode == 1, run.output
    assert run.failed() == proof.names, run.output


def test_healthy_network_suite_passes(shared_lab: LabTarget, tmp_path: Path) -> None:
    run = run_harness(tmp_path, "suites/network")
    assert run.returncode == 0, run.output
    assert len(run.timelines("policy-matrix")) == len(CASES)


@pytest.mark.parametrize("proof", LB_FAILOVERS, ids=[Path(p.runs[0]).stem for p in LB_FAILOVERS])
def test_lb_failover_scenario_fails_when_the_announcer_is_stuck(shared_lab: LabTarget, tmp_path: Path,
                                                                 proof: Proof) -> None:
    run = run_harness(tmp_path, *proof.runs, "--allow-disruption",
                      profile=defect_profile(tmp_path, *proof.seeded))
    assert run.returncode == 1, run.output
    assert run.failed() == proof.names, run.output
    unmet = run.unmet()
    assert proof.expectations <= unmet <= proof.expectations | proof.expectations_may, run.output
    assert "announcer.changes = 0, expected >= 1: NOT met" in run.output
