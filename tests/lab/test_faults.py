"""Faults on the lab: each stamps its instant, does what it says, and its undo puts things back."""

from __future__ import annotations

import subprocess
import time

import pytest

from harness.targets.base import TargetError
from harness.targets.lab import LabTarget
from tests.lab.conftest import wait_for

pytestmark = pytest.mark.lab


def healthy_members(lab: LabTarget) -> list[str]:
    return [m.node for m in lab.controlplane.members(timeout_s=0.5) if m.healthy]


def follower_without_vip(lab: LabTarget) -> str:
    busy = {lab.controlplane.leader(), lab.controlplane.vip_holder()}
    return next(n for n in ("cp1", "cp2", "cp3") if n not in busy)


def test_power_off_of_the_vip_holder_moves_the_vip(lab: LabTarget) -> None:
    cp = lab.controlplane
    holder = cp.vip_holder()
    assert holder is not None
    start = time.time()
    undo = lab.faults.power_off(holder)
    try:
        wait_for(lambda: cp.vip_holder() not in (None, holder), 10, "the VIP never moved")
        cp.roundtrip(timeout_s=2.0)
        events = lab.events.since(start)
        off = next(e for e in events if e.kind == "power-off")
        moved = [e for e in events if e.kind == "vip-moved"]
        assert off.node == holder
        assert moved, "no ground-truth VIP move was stamped"
        assert moved[0].node != holder
        assert 1.0 < moved[0].time - off.time < 6.0  # VRRP master-down: ~3 adverts + skew
    finally:
        undo()
    undo()  # idempotent
    wait_for(lambda: len(healthy_members(lab)) == 3, 15, "3 healthy members did not come back")
    assert any(e.kind == "power-on" and e.node == holder for e in lab.events.since(start))


def test_reboot_brings_every_service_back(lab: LabTarget) -> None:
    node = follower_without_vip(lab)
    old = lab.lab.service_pid(node, "etcd")
    lab.faults.reboot(node)
    assert lab.lab.service_pid(node, "etcd") not in (None, old)
    wait_for(lambda: len(healthy_members(lab)) == 3, 15, "the rebooted member did not rejoin")


def test_partition_of_a_follower_keeps_the_api_up_and_heals(lab: LabTarget) -> None:
    node = follower_without_vip(lab)
    undo = lab.faults.partition(node)
    try:
        assert node not in healthy_members(lab)
        lab.controlplane.roundtrip(timeout_s=1.0)
        with pytest.raises(TargetError, match=r"no answer|timed out"):
            lab.controlplane.roundtrip_direct(node, timeout_s=0.3)
    finally:
        undo()
    undo()
    wait_for(lambda: len(healthy_members(lab)) == 3, 10, "the partitioned member did not heal")
    assert [e.kind for e in lab.events.since(0) if e.node == node][-2:] == ["partition", "heal"]


def test_kill_etcd_and_undo_restarts_it(lab: LabTarget) -> None:
    node = follower_without_vip(lab)
    undo = lab.faults.kill("etcd", node)
    assert lab.lab.service_pid(node, "etcd") is None
    assert node not in healthy_members(lab)
    undo()
    undo()
    assert lab.lab.service_pid(node, "etcd") is not None
    wait_for(lambda: len(healthy_members(lab)) == 3, 10, "the killed member did not rejoin")


@pytest.mark.parametrize(("fault", "hands_over"), [("stop", True), ("kill", False)])
def test_stop_etcd_on_the_leader_hands_leadership_over_and_kill_does_not(
        lab: LabTarget, fault: str, hands_over: bool) -> None:
    """`stop` is SIGTERM: etcd's own shutdown moves leadership first (its log says so), as
    Talos' `service etcd stop` does; `kill` is a crash that leaves the followers to notice."""
    leader = lab.controlplane.leader()
    assert leader is not None
    log = lab.plan.log_path(leader, "etcd")
    offset, start = log.stat().st_size, time.time()
    undo = lab.faults.stop("etcd", leader) if fault == "stop" else lab.faults.kill("etcd", leader)
    try:
        assert lab.lab.service_pid(leader, "etcd") is None
        wait_for(lambda: lab.controlplane.leader() not in (None, leader), 10,
                 f"no new leader after {fault}")
        with log.open() as handle:
            handle.seek(offset)
            said = handle.read()
        # etcd's zap logger and its older capnslog one word it differently.
        handed = "leadership transfer finished" in said or "finished leadership transfer" in said
        assert handed is hands_over, said[-2000:]
    finally:
        undo()
    wait_for(lambda: len(healthy_members(lab)) == 3, 10, f"the member did not rejoin after {fault}")
    assert [e.kind for e in lab.events.since(start) if e.kind in ("stop", "kill")] == [fault]


def test_kill_rejects_a_service_the_node_does_not_run(lab: LabTarget) -> None:
    with pytest.raises(TargetError, match="wk1 runs no etcd"):
        lab.faults.kill("etcd", "wk1")


def link_rate(device: str) -> str:
    out = subprocess.run(["tc", "class", "show", "dev", device], capture_output=True, text=True,
                         check=True).stdout
    return out.split(" rate ")[1].split()[0]


def test_degrade_link_shapes_and_undo_restores(lab: LabTarget) -> None:
    before = link_rate("hlab0-wk1")
    undo = lab.faults.degrade_link("wk1", 100)
    assert link_rate("hlab0-wk1") == "98440Kbit"
    undo()
    undo()
    assert link_rate("hlab0-wk1") == before
