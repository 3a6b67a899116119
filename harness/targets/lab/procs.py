"""Lab daemons tracked by PID: started in a node's namespace, stopped by PID, never by name.

A pid file holds `pid starttime`: the kernel's start time (from /proc) guards against a
recycled PID, so a stale file never makes the lab signal a stranger's process.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path

# Handles of children this process started: waited on after a kill so no zombie lingers.
_children: dict[int, subprocess.Popen[bytes]] = {}


def _stat(pid: int) -> tuple[str, int] | None:
    """(state letter, start time) of a process, None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = text.rsplit(")", 1)[1].split()  # the command name may contain spaces
    return fields[0], int(fields[19])


def alive(pid: int, starttime: int | None = None) -> bool:
    if pid in _children and _children[pid].poll() is not None:
        del _children[pid]
        return False
    stat = _stat(pid)
    if stat is None or stat[0] in "ZX":
        return False
    return starttime is None or stat[1] == starttime


def start(argv: list[str], *, netns: str, log: Path, pid_file: Path) -> int:
    """Run `argv` inside `netns` (ip netns exec execs in place, so the PID is the daemon's)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        child = subprocess.Popen(["ip", "netns", "exec", netns, *argv], stdin=subprocess.DEVNULL,
                                 stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    _children[child.pid] = child
    stat = _stat(child.pid)
    pid_file.write_text(f"{child.pid} {stat[1] if stat else 0}\n")
    return child.pid


def read_pid(pid_file: Path) -> int | None:
    """The PID recorded in `pid_file` if that very process still runs."""
    try:
        pid_text, start_text = pid_file.read_text().split()
    except (FileNotFoundError, ValueError):
        return None
    pid, starttime = int(pid_text), int(start_text)
    return pid if alive(pid, starttime or None) else None


def netns_pids(netns: str) -> list[int]:
    """Every process whose network namespace is `netns` (daemons, their children, scripts)."""
    out = subprocess.run(["ip", "netns", "pids", netns], capture_output=True, text=True, check=False)
    return [int(p) for p in out.stdout.split()] if out.returncode == 0 else []


def signal_all(pids: Iterable[int], sig: signal.Signals) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def wait_gone(pids: Iterable[int], timeout_s: float) -> list[int]:
    """Wait until every PID has exited; returns those still alive at the deadline."""
    remaining = list(pids)
    deadline = time.monotonic() + timeout_s
    while remaining:
        remaining = [p for p in remaining if alive(p)]
        if not remaining or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    return remaining


def kill_now(pids: Iterable[int]) -> None:
    """Freeze, then kill: a frozen process cannot say goodbye (no VRRP priority-0 advert)."""
    pids = list(pids)
    signal_all(pids, signal.SIGSTOP)
    signal_all(pids, signal.SIGKILL)
    wait_gone(pids, 5.0)


def stop(pids: Iterable[int], timeout_s: float = 3.0) -> None:
    """SIGTERM, then SIGKILL whatever is left after `timeout_s`."""
    pids = list(pids)
    signal_all(pids, signal.SIGTERM)
    left = wait_gone(pids, timeout_s)
    if left:
        signal_all(left, signal.SIGKILL)
        wait_gone(left, 2.0)
