"""The lab's reboot: a power cycle that is back in half a second, or, under the `slow-boot`
defect, a call that returns at once while the node comes back by itself later (as
`talosctl reboot` does on a machine that boots slowly)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from harness.profile import load_profile
from harness.targets.lab import faults as lab_faults
from harness.targets.lab.config import make_plan
from harness.targets.lab.faults import LabFaults
from harness.targets.lab.groundtruth import LabEventLog

REPO = Path(__file__).resolve().parents[2]


def faults_with(tmp_path: Path, defects: list[str], seen: list[tuple[str, str, float]]) -> LabFaults:
    profile = load_profile(REPO / "profiles" / "lab.yaml")
    lab = profile.lab.model_copy(update={"state_dir": tmp_path, "defects": defects})
    plan = make_plan(profile.model_copy(update={"lab": lab}))
    faults = LabFaults(plan, object(), LabEventLog(plan=plan))  # type: ignore[arg-type]
    faults.power_off = lambda node: seen.append(("off", node, time.monotonic()))  # type: ignore[method-assign,assignment,return-value]
    faults.power_on = lambda node: seen.append(("on", node, time.monotonic()))  # type: ignore[method-assign]
    return faults


def test_a_healthy_reboot_is_back_before_the_call_returns(tmp_path: Path) -> None:
    seen: list[tuple[str, str, float]] = []
    faults_with(tmp_path, [], seen).reboot("cp1")
    assert [(kind, node) for kind, node, _ in seen] == [("off", "cp1"), ("on", "cp1")]
    assert seen[1][2] - seen[0][2] == pytest.approx(lab_faults.REBOOT_S, abs=0.2)


def test_a_slow_boot_returns_at_once_and_the_node_comes_back_by_itself(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lab_faults, "SLOW_BOOT_S", 0.3)
    seen: list[tuple[str, str, float]] = []
    back = threading.Event()
    faults = faults_with(tmp_path, ["slow-boot"], seen)
    faults.power_on = lambda node: (seen.append(("on", node, time.monotonic())), back.set())  # type: ignore[method-assign]
    began = time.monotonic()
    faults.reboot("cp2")
    assert time.monotonic() - began < 0.2 and [k for k, _, _ in seen] == ["off"]
    assert back.wait(timeout=5)
    assert [(kind, node) for kind, node, _ in seen] == [("off", "cp2"), ("on", "cp2")]
    assert seen[1][2] - seen[0][2] >= 0.3
