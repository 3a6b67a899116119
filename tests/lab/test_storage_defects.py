"""Every storage check fails on its seeded lab defect (and only the checks that should).

As in test_checks_fail_on_defects.py: the harness's own pytest runs in a subprocess against a lab
built with the defect and Ceph on, and the run file says which checks failed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.profile.defect_map import LAB, proofs
from harness.targets.lab import LabTarget
from tests.lab.harness_run import defect_profile, run_harness

pytestmark = pytest.mark.lab

CASES = {p.defect: p for p in proofs(LAB) if p.storage and not p.runs[0].startswith("scenarios/")}
HEALTH = "suites/storage/test_health.py"
BENCH = ("suites/storage/test_block.py", "suites/storage/test_object.py")
"""Every figure judged against its twin, the link or the profile's floor: they must pass on a
healthy lab."""


def storage_profile(tmp_path: Path, *defects: str) -> Path:
    return defect_profile(tmp_path, *defects, storage=True)


@pytest.mark.parametrize("defect", sorted(CASES))
def test_storage_checks_fail_on_their_defect(shared_lab: LabTarget, tmp_path: Path, defect: str) -> None:
    proof = CASES[defect]
    run = run_harness(tmp_path, *proof.runs, "--depth", proof.depth,
                      profile=storage_profile(tmp_path, *proof.seeded))
    assert run.returncode == 1, run.output
    assert proof.explains(run.failed()), run.output


def test_storage_checks_pass_without_defects(shared_lab: LabTarget, tmp_path: Path) -> None:
    run = run_harness(tmp_path, HEALTH, *BENCH, profile=storage_profile(tmp_path))
    assert run.returncode == 0, run.output
    assert len(run.outcomes()) == 13 and not run.failed()
