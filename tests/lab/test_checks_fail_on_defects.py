"""Every control-plane check and the control-plane scenarios fail on their seeded lab defect, as
the defect map (harness/profile/defect_map.py) says; test_defect_map.py checks the map covers them.

Each case runs the harness's own pytest in a subprocess against a lab built with the defect
(the session rebuilds the lab when its defects differ, and takes it down at the end), then
reads the run file: exactly the named checks must fail, everything else must pass.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.profile.defect_map import LAB, Proof, proofs
from harness.targets.lab import LabTarget
from tests.lab.harness_run import defect_profile, run_harness

pytestmark = pytest.mark.lab

SUITE_DEFECTS = {p.defect: p for p in proofs(LAB) if p.runs == ("suites/controlplane",)}
SCENARIO_PROOFS = [p for p in proofs(LAB) if p.runs[0].startswith("scenarios/")
                   and not p.storage and "lb-announcer" not in p.runs[0]]


@pytest.mark.parametrize("defect", sorted(SUITE_DEFECTS))
def test_controlplane_checks_fail_on_their_defect(shared_lab: LabTarget, tmp_path: Path,
                                                   defect: str) -> None:
    run = run_harness(tmp_path, "suites/controlplane", profile=defect_profile(tmp_path, defect))
    assert run.returncode == 1, run.output
    proof = SUITE_DEFECTS[defect]
    assert proof.explains(run.failed()), run.output
    assert len(run.outcomes()) == 8


@pytest.mark.parametrize("proof", SCENARIO_PROOFS, ids=[
    f"{p.defect}-{Path(p.runs[0]).stem}" for p in SCENARIO_PROOFS])
def test_scenario_fails_on_its_defect(shared_lab: LabTarget, tmp_path: Path, proof: Proof) -> None:
    run = run_harness(tmp_path, *proof.runs, "--allow-disruption",
                      profile=defect_profile(tmp_path, *proof.seeded))
    assert run.returncode == 1, run.output
    assert run.failed() == proof.names, run.output
    # Exactly these, as the map says, and perhaps those it says a run may push over the limit:
    assert proof.expectations <= run.unmet() <= proof.expectations | proof.expectations_may, run.output
    [journal] = run.timelines("chaos-journal")
    assert journal["data"]["status"] == "completed"  # it ran through, rollbacks included
    assert not journal["data"]["passed"]
