"""A pytest session SIGKILLed mid-run loses no recorded row (issue 17, part 1).

A real pytest subprocess runs a small suite against the fake target and is killed at a chosen
point; `harness runs` (the real console script) or the next session must then show the run
`crashed` with every row recorded before the kill, and a second recovery must change nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.plugin.conftest import harness_args

HARNESS = Path(sys.executable).parent / "harness"


def _start(project: pytest.Pytester, *args: str) -> subprocess.Popen[bytes]:
    log = (project.path / "session.log").open("wb")
    return project.popen([sys.executable, "-m", "pytest", *harness_args(*args)], stdout=log,
                         stderr=subprocess.STDOUT)


def _wait_for(path: Path, proc: subprocess.Popen[bytes], timeout_s: float = 60.0) -> str:
    deadline = time.monotonic() + timeout_s
    while not path.exists():
        log = path.parent / "session.log"
        assert proc.poll() is None, f"the session ended early:\n{log.read_text()[-3000:]}"
        assert time.monotonic() < deadline, f"never reached the kill point:\n{log.read_text()[-3000:]}"
        time.sleep(0.05)
    time.sleep(0.05)  # the marker is written; let the writer finish the line
    return path.read_text()


def _kill(proc: subprocess.Popen[bytes]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL


def _runs_json(runs_dir: Path) -> tuple[list[dict[str, Any]], str]:
    done = subprocess.run([str(HARNESS), "runs", "--runs-dir", str(runs_dir), "--json"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    rows: list[dict[str, Any]] = json.loads(done.stdout)
    return rows, done.stderr


def _document(runs_dir: Path) -> tuple[dict[str, Any], str]:
    [path] = runs_dir.glob("run-*.json")
    data = path.read_bytes()
    return json.loads(data), hashlib.sha256(data).hexdigest()


MID_SUITE = """
import os, pathlib, time

def test_a(measure):
    measure("before.kill", 0, "s", higher_is_better=False)

def test_b(measure):
    for index in range(1, 51):
        measure("before.kill", index, "s", higher_is_better=False, index=index)

def test_c(record_timeline):
    record_timeline("api", "events", {{"events": [{{"time": 1.0, "kind": "power-off"}}]}})

def test_d_is_killed(measure):
    measure("before.kill", 51, "s", higher_is_better=False)
    pathlib.Path({marker!r}).write_text(str(os.getpid()))
    time.sleep(120)

def test_e_never_runs():
    pass
"""


def test_sigkill_mid_suite_then_harness_runs_recovers_every_row_once(project: pytest.Pytester) -> None:
    marker = project.path / "kill-now"
    project.makepyfile(**{"suites/test_killed": MID_SUITE.format(marker=str(marker))})
    runs_dir = project.path / "reports" / "runs"
    proc = _start(project, "suites")
    _wait_for(marker, proc)
    _kill(proc)
    before, _ = _document(runs_dir)
    assert before["run"]["status"] == "running" and before["outcomes"] == []

    rows, said = _runs_json(runs_dir)
    [run] = rows
    assert run["status"] == "crashed"
    assert f"pid {proc.pid}" in said and "marked crashed" in said
    assert (run["passed"], run["failed"], run["measurements"]) == (3, 0, 52)
    document, digest = _document(runs_dir)
    assert sorted(row["value"] for row in document["measurements"]) == list(range(52))
    assert [row["nodeid"].rsplit("::", 1)[1] for row in document["outcomes"]] == \
        ["test_a", "test_b", "test_c"]
    assert [t["name"] for t in document["timelines"] if t["name"] == "api"] == ["api"]
    assert document["run"]["writer"]["pid"] == proc.pid
    assert document["run"]["ended"] is None and document["run"]["recovered"]
    assert not (runs_dir / ".partial").exists()

    again, said_again = _runs_json(runs_dir)  # a second recovery is a no-op
    assert again == rows and "recovered" not in said_again
    assert _document(runs_dir)[1] == digest


SLOW_TARGET = """
import pathlib, time
from fake_target import FakeTarget

class SlowTarget(FakeTarget):
    def prepare(self):
        pathlib.Path({marker!r}).write_text("preparing")
        time.sleep(120)
"""


def test_sigkill_while_the_target_comes_up_leaves_a_crashed_run_with_no_rows(
        project: pytest.Pytester) -> None:
    marker = project.path / "kill-now"
    project.makepyfile(slow_target=SLOW_TARGET.format(marker=str(marker)))
    project.makepyfile(**{"suites/test_one": "def test_one():\n    pass\n"})
    runs_dir = project.path / "reports" / "runs"
    proc = _start(project, "--target", "slow_target:SlowTarget", "suites")
    _wait_for(marker, proc)
    _kill(proc)
    [run], said = _runs_json(runs_dir)
    assert (run["status"], run["passed"], run["measurements"]) == ("crashed", 0, 0)
    assert "0 recorded rows merged" in said


XDIST_WORKER = """
import os, pathlib, time

def test_worker_outlives_its_controller(measure):
    for index in range(20):
        measure("before.kill", index, "s", higher_is_better=False)
    pathlib.Path({marker!r}).write_text(str(os.getpid()))
    while not pathlib.Path({release!r}).exists():
        time.sleep(0.02)
    measure("after.controller.died", 1, "s", higher_is_better=False)  # still a recorded row
    os._exit(0)
"""


def test_a_worker_that_outlives_a_killed_controller_is_waited_for_then_the_next_session_recovers(
        project: pytest.Pytester) -> None:
    marker, release = project.path / "kill-now", project.path / "release"
    project.makepyfile(**{"suites/test_worker": XDIST_WORKER.format(marker=str(marker),
                                                                    release=str(release))})
    runs_dir = project.path / "reports" / "runs"
    proc = _start(project, "-n", "1", "suites")
    worker = int(_wait_for(marker, proc))
    _kill(proc)
    rows, said = _runs_json(runs_dir)  # the worker still writes: nothing is merged yet
    assert [row["status"] for row in rows] == ["running"] and "recovered" not in said

    release.write_text("go")
    deadline = time.monotonic() + 30
    while _alive(worker):
        assert time.monotonic() < deadline, "the worker never exited"
        time.sleep(0.05)
    project.makepyfile(**{"suites/test_worker": "def test_next():\n    pass\n"})
    result = project.runpytest_subprocess(*harness_args("suites"))
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*cluster-harness: run * was left running by pid "
                                 f"{proc.pid} *marked crashed, 21 recorded rows merged*"])
    crashed = [json.loads(p.read_text()) for p in runs_dir.glob("run-*.json")]
    [document] = [d for d in crashed if d["run"]["status"] == "crashed"]
    metrics = [row["metric"] for row in document["measurements"]]
    assert metrics.count("before.kill") == 20 and "after.controller.died" in metrics


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")
