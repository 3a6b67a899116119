"""`clock-skew` on the lab: a node's commands run with libfaketime preloaded, not under the
`faketime` wrapper (whose per-PID semaphore, left in /dev/shm by a killed wrapper, made a later
wrapper with the same PID fail: `sem_open: File exists`)."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from harness.targets.base import TargetError
from harness.targets.lab import host
from harness.targets.lab.host import NetnsBackend, skewed_env


def test_a_skewed_command_sees_the_clock_ahead() -> None:
    try:
        env = {**os.environ, **skewed_env(30)}
    except TargetError as error:
        pytest.skip(str(error))
    shown = subprocess.run(["date", "+%s"], env=env, capture_output=True, text=True, timeout=10, check=True)
    assert int(shown.stdout) - time.time() == pytest.approx(30, abs=2)


def test_the_node_backend_preloads_libfaketime_and_runs_no_wrapper(monkeypatch: pytest.MonkeyPatch) -> None:
    try:
        skewed_env(30)
    except TargetError as error:
        pytest.skip(str(error))
    seen: list[str] = []

    class Done:
        command = b""

    def run_local(self: NetnsBackend, command: str, *args: str) -> Any:
        seen.append(command % args)
        return Done()

    monkeypatch.setattr(NetnsBackend, "run_local", run_local)
    backend = NetnsBackend("cp9")
    backend.clock_offset_s = 30
    backend.run("date +%s")
    [command] = seen
    assert command.startswith("ip netns exec cp9 env LD_PRELOAD=/usr/lib/")
    assert "FAKETIME=+30s /bin/sh -c" in command
    assert "faketime -f" not in command


def test_what_a_skewed_command_leaves_in_dev_shm_is_swept(monkeypatch: pytest.MonkeyPatch,
                                                           tmp_path: Path) -> None:
    monkeypatch.setattr(host, "SHM", tmp_path)
    (tmp_path / "faketime_shm_1").write_text("")  # PID 1 lives: never ours to remove
    before = host.faketime_leftovers()
    gone = 2**22 + 7  # above pid_max's default: no such process
    for name in (f"faketime_shm_{gone}", f"sem.faketime_sem_{gone}", "sem.faketime_sem_1"):
        (tmp_path / name).write_text("")
    host.sweep_faketime(before)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["faketime_shm_1", "sem.faketime_sem_1"]
