"""CPU quotas for starved lab daemons, on a cgroup tree laid out as the kernel's (v1 and v2) in a
temporary folder: the files written, the group removed, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.targets.base import TargetError
from harness.targets.lab import cpu_quota


def v1_root(tmp_path: Path) -> Path:
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cgroup.procs").write_text("")
    return tmp_path


def v2_root(tmp_path: Path) -> Path:
    (tmp_path / "cgroup.controllers").write_text("cpuset cpu io memory pids\n")
    (tmp_path / "cgroup.procs").write_text("")
    return tmp_path


def test_v1_group_gets_the_quota_and_the_process(tmp_path: Path) -> None:
    root = v1_root(tmp_path)
    group = cpu_quota.limit(4242, lab="hlab0", daemon="cp2-ceph-osd", cpu_fraction=0.05, root=root)
    assert group == root / "cpu" / "cluster-harness-hlab0" / "cp2-ceph-osd"
    assert (group / "cpu.cfs_quota_us").read_text() == "5000"
    assert (group / "cpu.cfs_period_us").read_text() == "100000"
    assert (group / "cgroup.procs").read_text() == "4242"


def test_v2_group_uses_cpu_max_and_enables_the_controller(tmp_path: Path) -> None:
    root = v2_root(tmp_path)
    group = cpu_quota.limit(7, lab="hlab0", daemon="wk1-radosgw", cpu_fraction=0.1, root=root)
    assert group.parent == root / "cluster-harness-hlab0"
    assert (group / "cpu.max").read_text() == "10000 100000"
    assert (group.parent / "cgroup.subtree_control").read_text() == "+cpu"


def test_remove_all_moves_leftovers_to_the_root_then_says_what_stays(tmp_path: Path) -> None:
    root = v1_root(tmp_path)
    cpu_quota.limit(4242, lab="hlab0", daemon="cp2-ceph-osd", cpu_fraction=0.05, root=root)
    # A plain folder keeps its files, so rmdir fails as on a busy cgroup: bounded, then a sentence.
    with pytest.raises(TargetError, match="stays busy: processes 4242"):
        cpu_quota.remove_all("hlab0", root=root, timeout_s=0.2)
    assert (root / "cpu" / "cgroup.procs").read_text() == "4242"


def test_remove_all_without_groups_does_nothing(tmp_path: Path) -> None:
    cpu_quota.remove_all("hlab0", root=v1_root(tmp_path))
    assert not (tmp_path / "cpu" / "cluster-harness-hlab0").exists()


def test_bad_fraction_and_missing_controller_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cpu_fraction"):
        cpu_quota.limit(1, lab="hlab0", daemon="x", cpu_fraction=0, root=v1_root(tmp_path))
    with pytest.raises(TargetError, match="no cgroup cpu controller"):
        cpu_quota.limit(1, lab="hlab0", daemon="x", cpu_fraction=0.5, root=tmp_path / "none")
