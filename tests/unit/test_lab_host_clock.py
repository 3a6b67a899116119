"""`clock-skew` on the lab: a node's commands run with libfaketime preloaded, not under the
`faketime` wrapper (whose per-PID semaphore, left in /dev/shm by a killed wrapper, made a later
wrapper with the same PID fail: `sem_open: File exists`)."""

from __future__ import annotations

import os
import subprocess
import time
from typing import Any

import pytest

from harness.targets.base import TargetError
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
