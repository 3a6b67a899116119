"""The OSD-node power-loss scenario passes on a healthy lab with Ceph, fails on each defect the map
names for it (`osd-slow-markdown`: a dead OSD is not marked down in time and I/O stalls through
the outage; `osd-no-autostart`: health never returns; `mgr-stats-stale`: the mgr hears no PG
statistics, so nothing is ever reported degraded), and is refused by its guard rail when no OSD
may stop (`pool-min-size-3`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.profile.defect_map import LAB, proofs
from harness.targets.lab import LabTarget
from tests.lab.harness_run import defect_profile, run_harness

pytestmark = pytest.mark.lab

SCENARIO = "scenarios/osd-node-power-loss.yaml"
FAILING = {p.defect: p for p in proofs(LAB) if p.runs == (SCENARIO,)}


def test_osd_node_power_loss_passes_on_a_healthy_lab(shared_lab: LabTarget, tmp_path: Path) -> None:
    run = run_harness(tmp_path, SCENARIO, "--allow-disruption",
                      profile=defect_profile(tmp_path, storage=True))
    assert run.returncode == 0, run.output
    measured = run.figures()
    assert (measured["io.longest_stall_s"] or 0) > 5, "a power loss that stalled nothing: no fault?"
    assert (measured["health.degraded_samples"] or 0) >= 1


@pytest.mark.parametrize("defect", sorted(FAILING))
def test_fails_on_its_defect(shared_lab: LabTarget, tmp_path: Path, defect: str) -> None:
    proof = FAILING[defect]
    run = run_harness(tmp_path, *proof.runs, "--allow-disruption",
                      profile=defect_profile(tmp_path, *proof.seeded, storage=True))
    assert run.returncode == 1, run.output
    assert run.failed() == proof.names, run.output
    assert proof.expectations <= run.unmet() <= proof.expectations | proof.expectations_may, run.output


def test_refused_when_no_osd_may_stop(shared_lab: LabTarget, tmp_path: Path) -> None:
    run = run_harness(tmp_path, SCENARIO, "--allow-disruption",
                      profile=defect_profile(tmp_path, "pool-min-size-3", storage=True))
    assert run.returncode == 1, run.output
    assert "ok-to-stop" in run.output
