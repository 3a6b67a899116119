"""The lab's `stop` is a supervisor's stop (SIGTERM: the service's own shutdown runs), its `kill`
a crash (SIGKILL: it never does). Proven on a real child process standing in for etcd: its
SIGTERM handler leaves a mark, as etcd's leadership hand-over runs only on SIGTERM."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.profile import load_profile
from harness.targets.base import TargetError
from harness.targets.lab import faults as lab_faults
from harness.targets.lab import procs
from harness.targets.lab.config import make_plan
from harness.targets.lab.faults import LabFaults
from harness.targets.lab.groundtruth import LabEventLog

REPO = Path(__file__).resolve().parents[2]

ETCD_STAND_IN = """
import pathlib, signal, sys, time
mark = pathlib.Path(sys.argv[1])
def graceful(signum, frame):
    mark.write_text("handed over, then exited")
    sys.exit(0)
signal.signal(signal.SIGTERM, graceful)
mark.with_suffix(".ready").write_text("")
time.sleep(60)
"""


class OneServiceLab:
    """The part of `Lab` the faults use: where the service runs, and starting it again."""

    def __init__(self, pid: int) -> None:
        self.pid: int | None = pid
        self.started: list[tuple[str, str]] = []

    def service_pid(self, node: str, service: str) -> int | None:
        return self.pid if self.pid is not None and procs.alive(self.pid) else None

    def start_service(self, node: str, service: str) -> None:
        self.started.append((node, service))


@pytest.fixture
def stand_in(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    mark = tmp_path / "etcd.mark"
    child = subprocess.Popen([sys.executable, "-c", ETCD_STAND_IN, str(mark)])
    deadline = time.monotonic() + 10
    while not mark.with_suffix(".ready").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    yield child, mark
    child.kill()
    child.wait()


def make_faults(tmp_path: Path, pid: int, monkeypatch: pytest.MonkeyPatch,
                defects: tuple[str, ...] = ()) -> tuple[LabFaults, OneServiceLab]:
    profile = load_profile(REPO / "profiles" / "lab.yaml")
    lab_part = profile.lab.model_copy(update={"state_dir": tmp_path, "defects": list(defects)})
    profile = profile.model_copy(update={"lab": lab_part})
    plan = make_plan(profile)
    monkeypatch.setattr(lab_faults.procs, "netns_pids", lambda node: [pid])  # no namespaces here
    lab = OneServiceLab(pid)
    return LabFaults(plan, lab, LabEventLog(plan=plan)), lab  # type: ignore[arg-type]


def test_stop_sends_sigterm_so_the_service_shuts_down_itself(
        stand_in: tuple[subprocess.Popen[bytes], Path], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    child, mark = stand_in
    faults, lab = make_faults(tmp_path, child.pid, monkeypatch)
    undo = faults.stop("etcd", "cp1")
    assert child.wait(timeout=5) == 0  # its own exit, from its SIGTERM handler
    assert mark.read_text() == "handed over, then exited"
    assert [(e.kind, e.node, e.detail) for e in faults.events.since(0)] == [("stop", "cp1", "etcd")]
    undo()
    assert lab.started == [("cp1", "etcd")]


def test_kill_sends_sigkill_so_nothing_of_the_shutdown_runs(
        stand_in: tuple[subprocess.Popen[bytes], Path], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    child, mark = stand_in
    faults, _ = make_faults(tmp_path, child.pid, monkeypatch)
    faults.kill("etcd", "cp1")
    assert child.wait(timeout=5) == -9
    assert not mark.exists()
    assert [e.kind for e in faults.events.since(0)] == ["kill"]


def test_a_supervisor_whose_stop_signal_is_sigkill_stops_etcd_with_no_hand_over(
        stand_in: tuple[subprocess.Popen[bytes], Path], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    child, mark = stand_in
    faults, _ = make_faults(tmp_path, child.pid, monkeypatch, defects=("etcd-stop-kills",))
    faults.stop("etcd", "cp1")
    assert child.wait(timeout=5) == -9
    assert not mark.exists()  # its SIGTERM handler, the hand-over, never ran
    assert [e.kind for e in faults.events.since(0)] == ["stop"]  # what was asked for


def test_stop_of_a_service_the_node_does_not_run_is_refused(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    faults, _ = make_faults(tmp_path, 1, monkeypatch)
    with pytest.raises(TargetError, match="wk1 runs no etcd in this lab"):
        faults.stop("etcd", "wk1")
