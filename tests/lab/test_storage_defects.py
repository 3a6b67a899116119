"""Every storage check fails on its seeded lab defect (and only the checks that should).

As in test_checks_fail_on_defects.py: the harness's own pytest runs in a subprocess against a lab
built with the defect and Ceph on, and the run file says which checks failed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.targets.lab import LabTarget
from tests.lab.harness_run import defect_profile, run_harness

pytestmark = pytest.mark.lab

HEALTH = "suites/storage/test_health.py"
BENCH = "suites/storage/test_block.py::test_seq_read_4m"
CASES = {
    "mon-down:cp3": (HEALTH, {"test_mons_in_quorum"}),  # MON_DOWN waits mon_down_mkfs_grace (60 s)
    "osd-down:cp2": (HEALTH, {"test_health_ok", "test_osds_up_and_in", "test_pgs_active_clean"}),
    "pool-size-2": (HEALTH, {"test_block_pools_replicated_as_profile"}),
    "rgw-down": (HEALTH, {"test_object_gateway_running"}),
    "slow-link:cp2": (BENCH, {"test_seq_read_4m"}),
}


def storage_profile(tmp_path: Path, *defects: str) -> Path:
    return defect_profile(tmp_path, *defects, storage=True)


@pytest.mark.parametrize("defect", sorted(CASES))
def test_storage_checks_fail_on_their_defect(shared_lab: LabTarget, tmp_path: Path, defect: str) -> None:
    tests, expected = CASES[defect]
    run = run_harness(tmp_path, tests, profile=storage_profile(tmp_path, defect))
    assert run.returncode == 1, run.output
    assert run.failed() == expected, run.output


def test_storage_checks_pass_without_defects(shared_lab: LabTarget, tmp_path: Path) -> None:
    run = run_harness(tmp_path, HEALTH, BENCH, profile=storage_profile(tmp_path))
    assert run.returncode == 0, run.output
    assert len(run.outcomes()) == 7 and not run.failed()


def test_every_health_check_has_a_defect() -> None:
    source = (Path(__file__).resolve().parents[2] / HEALTH).read_text()
    checks = {line.split("(")[0][4:] for line in source.splitlines() if line.startswith("def test_")}
    covered = {name for tests, names in CASES.values() if tests == HEALTH for name in names}
    assert covered == checks
