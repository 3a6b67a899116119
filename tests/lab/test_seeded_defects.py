"""Seeded defects change what they claim to: each gets its own short-lived lab."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from harness.targets.base import TargetError
from harness.targets.lab import LabTarget
from tests.lab.conftest import lab_profile

pytestmark = pytest.mark.lab


@contextmanager
def defect_lab(shared: LabTarget, *defects: str) -> Iterator[LabTarget]:
    shared.lab.down()  # same names and addresses: one lab at a time (the `lab` fixture restores it)
    target = LabTarget(lab_profile(*defects))
    target.lab.up()
    try:
        yield target
    finally:
        target.lab.down()


def test_vip_stuck_never_moves_the_vip(shared_lab: LabTarget) -> None:
    with defect_lab(shared_lab, "vip-stuck") as lab:
        assert lab.controlplane.vip_holder() == "cp1"
        start = time.time()
        undo = lab.faults.power_off("cp1")
        time.sleep(6)  # twice the longest failover measured with a working VRRP
        assert lab.controlplane.vip_holder() is None
        assert not [e for e in lab.events.since(start) if e.kind == "vip-moved"]
        with pytest.raises(TargetError, match=r"no answer|timed out"):
            lab.controlplane.roundtrip(timeout_s=0.5)
        undo()
        assert lab.controlplane.vip_holder() == "cp1"


def test_two_members_no_prevote_and_a_slow_link(shared_lab: LabTarget) -> None:
    with defect_lab(shared_lab, "etcd-two-members", "etcd-no-prevote", "slow-link:wk1") as lab:
        members = lab.controlplane.members()
        assert [m.node for m in members] == ["cp1", "cp2"]
        assert lab.lab.service_pid("cp3", "etcd") is None
        lab.controlplane.roundtrip()
        pid = lab.lab.service_pid("cp1", "etcd")
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            assert b"--pre-vote=false" in handle.read().split(b"\0")
        rates = subprocess.run(["tc", "class", "show", "dev", "hlab0-wk1"], capture_output=True,
                               text=True, check=True).stdout
        assert "rate 98439Kbit" in rates
