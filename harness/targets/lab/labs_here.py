"""The labs on this machine, found by their state directories.

A profile names its lab's state directory, but its switch and its nodes' network namespaces are
machine-wide names, and the shipped profiles (`lab.yaml`, `lab-kubernetes.yaml`) share them: a
second lab brought up over the first would start its etcds on the first's addresses, and taking
one down removes the other's switch and kills whatever runs in its namespaces, leaving the rest
of it (its state, a controller outside the namespaces) behind. So `up` refuses while another lab
stands, and `down` takes such labs down with its own. Each `up` leaves its plan as JSON in its
state directory, for a later `down` under any profile to take that lab down whole.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from pathlib import Path

from harness.targets.lab import net, procs
from harness.targets.lab.config import LabNode, LabPlan

STATE_MARKER = ".cluster-harness-lab"
"""In a state directory the lab made as a whole (`down` removes all of it)."""
PLAN_JSON = "plan.json"


def plan_to_json(plan: LabPlan) -> str:
    return json.dumps(dataclasses.asdict(plan), default=str)


def plan_from_json(text: str) -> LabPlan:
    data = json.loads(text)
    nodes = tuple(LabNode(**n) for n in data.pop("nodes"))
    return LabPlan(**{**data, "state_dir": Path(data["state_dir"]), "nodes": nodes,
                      "defects": tuple(data["defects"]), "replication": tuple(data["replication"])})


def record(plan: LabPlan) -> None:
    """Mark the state directory as the lab's and leave the plan for a later `down`."""
    (plan.state_dir / STATE_MARKER).touch()
    (plan.state_dir / PLAN_JSON).write_text(plan_to_json(plan))


def plan_in(state_dir: Path) -> LabPlan | None:
    """The plan a lab was brought up from; None when its `up` left none (an older harness)."""
    try:
        return plan_from_json((state_dir / PLAN_JSON).read_text())
    except (OSError, ValueError, KeyError, TypeError):
        return None


def labs_beside(plan: LabPlan) -> list[Path]:
    """State directories of other labs up beside `plan`'s (marked, in the same parent) whose
    switch or node names `plan` would share. A lab that left no plan counts as sharing them."""
    parent = plan.state_dir.parent
    if not parent.is_dir():
        return []
    names = {node.name for node in plan.nodes}
    found = []
    for state_dir in sorted(parent.iterdir()):
        if state_dir == plan.state_dir or not (state_dir / STATE_MARKER).is_file():
            continue
        other = plan_in(state_dir)
        if other is None or other.bridge == plan.bridge or names & {node.name for node in other.nodes}:
            found.append(state_dir)
    return found


def unmount_disks(state_dir: Path) -> None:
    """Unmount the nodes' data disks (`<state>/disks/<node>`, a tmpfs for `disk-full`)."""
    disks = state_dir / "disks"
    for disk in sorted(disks.iterdir()) if disks.is_dir() else []:
        if os.path.ismount(disk):
            net.run("umount", str(disk), check=False)


def sweep(state_dir: Path) -> list[int]:
    """Take down, without its plan, a lab that left none: stop the processes its PID files
    name (each checked against its start time, so a reused PID is left alone), unmount what is
    mounted under it, remove the directory. Returns the PIDs that would not go."""
    pid_files = sorted((state_dir / "pids").glob("*.pid"))
    stuck = procs.stop([p for p in map(procs.read_pid, pid_files) if p is not None], timeout_s=3.0)
    procs.reap()
    unmount_disks(state_dir)
    if (state_dir / STATE_MARKER).is_file():
        shutil.rmtree(state_dir, ignore_errors=True)
    return stuck
