"""Who writes a run: host, PID, boot id and process start time; and whether that process is gone.

A PID alone names no process for long: the kernel reuses it, and every boot starts over. The
boot id (`/proc/sys/kernel/random/boot_id`) changes with each boot, and the start time (field 22
of `/proc/<pid>/stat`, clock ticks since boot) tells a recycled PID from the writer.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

from harness.results.records import Writer

PROC = Path("/proc")
_DEAD_STATES = ("Z", "X")  # a zombie has stopped writing, even before its parent reaps it


def boot_id(proc: Path = PROC) -> str | None:
    try:
        return (proc / "sys" / "kernel" / "random" / "boot_id").read_text().strip() or None
    except OSError:
        return None


def start_ticks(pid: int, proc: Path = PROC) -> int | None:
    """When process `pid` started (ticks since boot), or None if there is no live such process."""
    try:
        stat = (proc / str(pid) / "stat").read_text()
    except (OSError, ValueError):
        return None
    # `pid (comm) state ppid ...`: comm may hold spaces and parentheses, so split after the last ')'
    fields = stat.rpartition(")")[2].split()
    if len(fields) < 20 or fields[0] in _DEAD_STATES:
        return None
    try:
        return int(fields[19])  # field 22 of the whole line; fields[0] is field 3 (state)
    except ValueError:
        return None


def this_writer(proc: Path = PROC) -> Writer:
    pid = os.getpid()
    return Writer(host=socket.gethostname(), pid=pid, boot_id=boot_id(proc),
                  start_ticks=start_ticks(pid, proc))


def writer_gone(writer: Writer, *, here: Writer, proc: Path = PROC) -> bool:
    """True when `writer` can no longer write: same host and boot, and its PID is dead or now
    another process; or same host, another boot. A run of another host is never judged."""
    if writer.host != here.host:
        return False
    if writer.boot_id and here.boot_id and writer.boot_id != here.boot_id:
        return True
    ticks = start_ticks(writer.pid, proc)
    if ticks is None:
        return True
    return writer.start_ticks is not None and ticks != writer.start_ticks
