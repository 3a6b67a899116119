"""Other labs on this machine (labs_here.py): which labs beside a plan's share its machine-wide
names, a lab's plan read back from its state directory, and a lab that left no plan taken down
by its PID files alone (real processes; a recycled PID is left alone)."""

from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path

from harness.profile import load_profile
from harness.targets.lab import labs_here, procs
from harness.targets.lab.config import LabPlan, make_plan

REPO = Path(__file__).resolve().parents[2]


def plan_of(profile: str, state_dir: Path, **changes: object) -> LabPlan:
    plan = make_plan(load_profile(REPO / "profiles" / profile))
    return dataclasses.replace(plan, state_dir=state_dir, **changes)  # type: ignore[arg-type]


def brought_up(plan: LabPlan) -> LabPlan:
    plan.state_dir.mkdir(parents=True)
    labs_here.record(plan)
    return plan


def test_a_plan_is_read_back_from_its_state_directory(tmp_path: Path) -> None:
    plan = brought_up(plan_of("lab-kubernetes.yaml", tmp_path / "lab-kubernetes"))
    assert labs_here.plan_in(plan.state_dir) == plan
    (plan.state_dir / labs_here.PLAN_JSON).write_text("{not json")
    assert labs_here.plan_in(plan.state_dir) is None
    assert labs_here.plan_in(tmp_path / "nowhere") is None


def test_labs_beside_are_those_on_the_same_switch_or_node_names(tmp_path: Path) -> None:
    ours = plan_of("lab.yaml", tmp_path / "lab")
    assert labs_here.labs_beside(ours) == []
    kube = brought_up(plan_of("lab-kubernetes.yaml", tmp_path / "lab-kubernetes"))
    assert labs_here.labs_beside(ours) == [kube.state_dir]  # the shipped two share hlab0 and cp1..wk1
    elsewhere = plan_of("lab-kubernetes.yaml", tmp_path / "other", bridge="hlab9",
                        nodes=tuple(dataclasses.replace(n, name=f"x{n.name}") for n in kube.nodes))
    brought_up(elsewhere)
    (tmp_path / "unmarked").mkdir()  # a directory the lab did not make
    brought_up(ours)  # its own state directory is never "beside" it
    assert labs_here.labs_beside(ours) == [kube.state_dir]
    legacy = tmp_path / "legacy"  # up under a harness that left no plan: assume it shares
    legacy.mkdir()
    (legacy / labs_here.STATE_MARKER).touch()
    assert labs_here.labs_beside(ours) == [kube.state_dir, legacy]


def test_a_lab_without_a_plan_is_swept_by_its_pid_files(tmp_path: Path) -> None:
    state = tmp_path / "lab-old"
    state.mkdir()
    (state / labs_here.STATE_MARKER).touch()
    pid = procs.start([sys.executable, "-c", "import time; time.sleep(60)"], netns=None,
                      log=state / "logs" / "lab-x.log", pid_file=state / "pids" / "lab-x.pid")
    other = procs.start([sys.executable, "-c", "import time; time.sleep(60)"], netns=None,
                        log=tmp_path / "other.log", pid_file=tmp_path / "other.pid")
    # A PID file naming a live process under another start time: a recycled PID, not ours.
    (state / "pids" / "lab-reused.pid").write_text(f"{other} 1\n")
    try:
        assert labs_here.sweep(state) == []
        deadline = time.monotonic() + 5
        while procs.alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not procs.alive(pid)
        assert procs.alive(other)
        assert not state.exists()
    finally:
        procs.kill_now([p for p in (pid, other) if procs.alive(p)])
