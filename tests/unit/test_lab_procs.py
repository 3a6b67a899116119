"""Lab daemons tracked by PID (procs.py) on real processes of this machine: stopped ones are
waited for, also a multi-threaded one whose threads outlive its main thread's death briefly,
and a recycled PID is never taken for the daemon."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from harness.targets.lab import procs

# Eight threads that keep running: a SIGKILLed process like this one (a Go daemon has dozens)
# shows its leader as a zombie until every thread has exited.
THREADED = ("import threading, time\n"
            "for _ in range(8): threading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n"
            "print('ready', flush=True); time.sleep(60)\n")


def start(tmp_path: Path, name: str) -> int:
    log = tmp_path / f"{name}.log"
    pid = procs.start([sys.executable, "-c", THREADED], netns=None, log=log,
                      pid_file=tmp_path / f"{name}.pid")
    for _ in range(500):  # up to 5 s for the interpreter and its threads
        if "ready" in log.read_text():
            return pid
        time.sleep(0.01)
    raise AssertionError(f"{name} did not start: {log.read_text()}")


def test_killed_daemons_are_waited_for_and_none_stays_a_zombie(tmp_path: Path) -> None:
    pids = [start(tmp_path, f"d{i}") for i in range(3)]
    assert all(procs.alive(p) for p in pids)
    assert procs.read_pid(tmp_path / "d0.pid") == pids[0]
    assert procs.kill_now(pids) == []  # every one gone within the bound
    assert procs.zombie_children() == []
    assert not any(procs.alive(p) for p in pids)
    assert procs.read_pid(tmp_path / "d0.pid") is None


def test_stop_terms_then_reports_nothing_left(tmp_path: Path) -> None:
    pid = start(tmp_path, "s")
    assert procs.stop([pid], timeout_s=2.0) == []
    assert procs.zombie_children() == []


def test_a_daemon_that_died_by_itself_is_reaped_by_the_next_look(tmp_path: Path) -> None:
    pid = start(tmp_path, "x")
    os.kill(pid, 9)  # stopped by someone else (another process's `lab down`)
    for _ in range(500):
        procs.reap()
        if pid not in procs.zombie_children() and not Path(f"/proc/{pid}").exists():
            break
        time.sleep(0.01)
    assert procs.zombie_children() == [] and not procs.alive(pid)


def test_a_recycled_pid_is_not_the_daemon(tmp_path: Path) -> None:
    pid_file = tmp_path / "other.pid"
    pid_file.write_text(f"{os.getpid()} 1\n")  # a live PID, but not started at that time
    assert procs.read_pid(pid_file) is None
