"""Each node-facts check fails on its seeded lab defect, on the named node only (run file)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.profile.defect_map import LAB, proofs
from harness.targets.lab import LabTarget
from tests.lab.harness_run import defect_profile, run_harness

pytestmark = pytest.mark.lab

NODE_DEFECTS = {p.defect: p for p in proofs(LAB) if p.runs == ("suites/nodes",)}


@pytest.mark.parametrize("defect", sorted(NODE_DEFECTS))
def test_node_facts_fail_on_their_defect(shared_lab: LabTarget, tmp_path: Path, defect: str) -> None:
    run = run_harness(tmp_path, "suites/nodes", profile=defect_profile(tmp_path, defect))
    assert run.returncode == 1, run.output
    assert run.failed() == NODE_DEFECTS[defect].names, run.output
    assert len(run.outcomes()) == 16
