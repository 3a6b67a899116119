"""Each node-facts check fails on its seeded lab defect, on the named node only (run file)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.targets.lab import LabTarget
from tests.lab.harness_run import defect_profile, run_harness

pytestmark = pytest.mark.lab

NODE_DEFECTS = {
    "wrong-mtu:cp2": {"test_link_speed_and_mtu_match_the_profile[cp2]"},
    "slow-link:wk1": {"test_link_speed_and_mtu_match_the_profile[wk1]"},
    "clock-skew:cp3": {"test_clock_is_synchronised[cp3]"},
    "disk-full:cp1": {"test_data_disk_has_room[cp1]"},
}


@pytest.mark.parametrize("defect", sorted(NODE_DEFECTS))
def test_node_facts_fail_on_their_defect(shared_lab: LabTarget, tmp_path: Path, defect: str) -> None:
    run = run_harness(tmp_path, "suites/nodes", profile=defect_profile(tmp_path, defect))
    assert run.returncode == 1, run.output
    assert run.failed() == NODE_DEFECTS[defect], run.output
    assert len(run.outcomes()) == 16
