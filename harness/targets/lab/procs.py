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
    child = _children.get(pid)
    if child is not None and child.poll() is not None:  # ours, and now reaped
        del _children[pid]
        return False
    stat = _stat(pid)
    if stat is None:
        return False
    # Our own child is gone only once reaped: a killed multi-threaded (Go) daemon shows `Z` while
    # its other threads still exit, and cannot be reaped until they have. Others' zombies are
    # gone once those threads are.
    if child is None and (stat[0] == "X" or (stat[0] == "Z" and not _threads_exiting(pid))):
        return False
    return starttime is None or stat[1] == starttime


def _threads_exiting(pid: int) -> bool:
    """A zombie leader whose other threads are still exiting (a killed Go daemon's, briefly)."""
    try:
        return len(list(Path(f"/proc/{pid}/task").iterdir())) > 1
    except OSError:
        return False


def start(argv: list[str], *, netns: str | None, log: Path, pid_file: Path) -> int:
    """Run `argv` inside `netns` (ip netns exec execs in place, so the PID is the daemon's), or
    on the workstation side (the root namespace) when `netns` is None."""
    log.parent.mkdir(parents=True, exist_ok=True)
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        prefix = ["ip", "netns", "exec", netns] if netns is not None else []
        child = subprocess.Popen([*prefix, *argv], stdin=subprocess.DEVNULL,
                                 stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    _children[child.pid] = child
    stat = _stat(child.pid)
    pid_file.write_text(f"{child.pid} {stat[1] if stat else 0}\n")
    return child.pid


def reap() -> None:
    """Wait for every child of ours that has exited, whoever stopped it (`lab down` run from
    another process, a daemon that died): none stays a zombie of this process."""
    for pid in list(_children):
        alive(pid)


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


def kill_now(pids: Iterable[int]) -> list[int]:
    """Freeze, then kill: a frozen process cannot say goodbye (no VRRP priority-0 advert).
    Returns the PIDs still there after 5 s (none, unless one hangs in the kernel)."""
    pids = list(pids)
    signal_all(pids, signal.SIGSTOP)
    signal_all(pids, signal.SIGKILL)
    return wait_gone(pids, 5.0)


def stop(pids: Iterable[int], timeout_s: float = 3.0) -> list[int]:
    """SIGTERM, then SIGKILL whatever is left after `timeout_s`; returns those that would not go."""
    pids = list(pids)
    signal_all(pids, signal.SIGTERM)
    left = wait_gone(pids, timeout_s)
    if left:
        signal_all(left, signal.SIGKILL)
        left = wait_gone(left, 2.0)
    return left


def describe(pids: Iterable[int]) -> str:
    """`1234 (ceph-osd), 1240 (etcd)`: for a sentence about processes that would not go."""
    names = []
    for pid in pids:
        try:
            names.append(f"{pid} ({Path(f'/proc/{pid}/comm').read_text().strip()})")
        except OSError:
            names.append(str(pid))
    return ", ".join(names)


def zombie_children() -> list[int]:
    """Children of this process that exited and were never waited for (none, if all is well)."""
    me, found = os.getpid(), []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] == "Z" and int(fields[1]) == me:
            found.append(int(stat.parent.name))
    return found
