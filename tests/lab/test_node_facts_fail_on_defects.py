"""Each node-facts check fails on its seeded lab defect, on the named node only (run file).

Defects on different nodes and of different kinds share a lab (`defect_map.node_rounds`): the
run must fail exactly the union of their checks, so each still fails its own node's check and
nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.profile.defect_map import LAB, Proof, node_rounds
from harness.targets.lab import LabTarget
from tests.lab.harness_run import defect_profile, run_harness

pytestmark = pytest.mark.lab

ROUNDS = {"+".join(p.defect for p in group): group for group in node_rounds(LAB)}


@pytest.mark.parametrize("defects", sorted(ROUNDS))
def test_node_facts_fail_on_their_defect(shared_lab: LabTarget, tmp_path: Path, defects: str) -> None:
    group: tuple[Proof, ...] = ROUNDS[defects]
    run = run_harness(tmp_path, "suites/nodes", profile=defect_profile(tmp_path, *(p.defect for p in group)))
    assert run.returncode == 1, run.output
    assert run.failed() == set().union(*(p.names for p in group)), run.output
    assert len(run.outcomes()) == 16
