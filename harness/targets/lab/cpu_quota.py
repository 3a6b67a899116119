"""CPU quotas for lab daemons: the defects `osd-cpu-starved:<node>` and `rgw-cpu-starved`.

A daemon is moved into a cgroup of the cpu controller of its own, with a CFS quota per 100 ms
period: cgroup v1 (`cpu.cfs_quota_us`, under /sys/fs/cgroup/cpu) or v2 (`cpu.max`, when
/sys/fs/cgroup is the unified hierarchy). The kernel then throttles it as a node with too little
CPU would be (an SBC thermally throttled, a container limit set too low). Groups are named after
the lab's bridge and removed when the lab goes down; a daemon restarted on power-on joins again.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

from harness.targets.base import TargetError

CGROUP_ROOT = Path("/sys/fs/cgroup")
PERIOD_US = 100_000


def _hierarchy(root: Path) -> tuple[Path, bool]:
    """(where the cpu groups live, whether it is cgroup v2)."""
    if (root / "cgroup.controllers").exists():
        return root, True
    return root / "cpu", False


def group_path(lab: str, daemon: str, *, root: Path = CGROUP_ROOT) -> Path:
    base, _ = _hierarchy(root)
    return base / f"cluster-harness-{lab}" / daemon


def limit(pid: int, *, lab: str, daemon: str, cpu_fraction: float, root: Path = CGROUP_ROOT) -> Path:
    """Move process `pid` (all its threads) into a group that may use `cpu_fraction` of one CPU."""
    if not 0 < cpu_fraction <= 1:
        raise ValueError(f"cpu_fraction must be in (0, 1], not {cpu_fraction}")
    base, v2 = _hierarchy(root)
    if not base.is_dir():
        raise TargetError(f"no cgroup cpu controller at {base}: the CPU-quota defects need one")
    group = group_path(lab, daemon, root=root)
    quota = round(PERIOD_US * cpu_fraction)
    try:
        if v2:
            group.parent.mkdir(exist_ok=True)
            (group.parent / "cgroup.subtree_control").write_text("+cpu")
            group.mkdir(exist_ok=True)
            (group / "cpu.max").write_text(f"{quota} {PERIOD_US}")
        else:
            group.mkdir(parents=True, exist_ok=True)
            (group / "cpu.cfs_period_us").write_text(str(PERIOD_US))
            (group / "cpu.cfs_quota_us").write_text(str(quota))
        (group / "cgroup.procs").write_text(str(pid))
    except OSError as error:
        raise TargetError(f"could not limit {daemon} (PID {pid}) to {cpu_fraction:g} CPU in {group}: "
                          f"{error}") from None
    return group


def remove_all(lab: str, *, root: Path = CGROUP_ROOT, timeout_s: float = 5.0) -> None:
    """Remove the lab's groups. Their daemons are stopped first; any process still in one (not
    ours to stop here) is moved back to the root group, so rmdir never leaves a group behind."""
    base, _ = _hierarchy(root)
    parent = base / f"cluster-harness-{lab}"
    if not parent.is_dir():
        return
    for group in [g for g in parent.iterdir() if g.is_dir()]:
        deadline = time.monotonic() + timeout_s
        while True:
            for pid in (group / "cgroup.procs").read_text().split():
                with contextlib.suppress(OSError):  # it exited meanwhile
                    (base / "cgroup.procs").write_text(pid)
            try:
                group.rmdir()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise TargetError(f"cgroup {group} stays busy: {_busy_hint(group)}") from None
                time.sleep(0.1)
    parent.rmdir()


def _busy_hint(group: Path) -> str:
    procs = (group / "cgroup.procs").read_text().split()
    return f"processes {', '.join(procs)} are still in it" if procs else "the kernel still holds it"
