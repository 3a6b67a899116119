"""One lab per session: up once (or reused if it was running), down at the end if we started it.

Tests that break the lab take the `lab` fixture, which first brings the shared lab back to
healthy, so a test never inherits the previous one's damage.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.profile import Profile, load_profile
from harness.targets.lab import LabTarget

REPO = Path(__file__).resolve().parents[2]
PROFILE = REPO / "profiles" / "lab.yaml"


def lab_profile(*defects: str) -> Profile:
    """The standard lab without Ceph (the storage tests build their own with it)."""
    profile = load_profile(PROFILE)
    lab = profile.lab.model_copy(update={"defects": list(defects), "storage": False})
    return profile.model_copy(update={"lab": lab})


def wait_for(predicate: object, timeout_s: float, what: str) -> None:
    """Poll `predicate` every 50 ms, bounded; fail the test with `what` if it never holds."""
    __tracebackhide__ = True
    assert callable(predicate)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    pytest.fail(f"{what} within {timeout_s:g} s")


@pytest.fixture(scope="session")
def shared_lab() -> Iterator[LabTarget]:
    if os.geteuid() != 0:
        pytest.skip("lab tests need root (network namespaces, real daemons): run as root")
    target = LabTarget(lab_profile())
    was_running = target.lab.status().running
    try:
        target.lab.up()
    except BaseException:  # a failed or interrupted bring-up leaves no half lab behind
        if not was_running:
            target.lab.down()
        raise
    yield target
    if was_running:
        LabTarget(lab_profile()).lab.up()  # defect tests may have replaced it: put it back
    else:
        target.lab.down()


@pytest.fixture
def lab(shared_lab: LabTarget) -> LabTarget:
    """The shared lab, healthy: all members agree on a leader and the VIP answers."""
    if not shared_lab.lab.status().running:
        shared_lab.lab.up()
    shared_lab.lab.wait_leader(timeout_s=15)
    shared_lab.lab.wait_vip(timeout_s=15)
    return shared_lab


def still_running(pids: list[int]) -> list[str]:
    """Those of `pids` not yet dead: any state but a zombie whose threads have all exited."""
    found = []
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            threads = len(list(Path(f"/proc/{pid}/task").iterdir()))
        except OSError:
            continue
        if state != "Z" or threads > 1:
            found.append(f"{pid} {state} ({threads} threads)")
    return found
