"""A testinfra backend for lab nodes: commands run inside the node's network namespace.

`netns://<node>` -> `ip netns exec <node> sh -c '<command>'`. Only the network is separate in
the lab (filesystem, clock and kernel are the machine's), so facts about links come from the
node's own view and the others are honest about being shared. Registered in testinfra's
backend table by name, like its own backends, when this module is imported.
"""

from __future__ import annotations

import platform
from pathlib import Path
from typing import Any

import testinfra
from testinfra.backend import BACKENDS, base

from harness.targets.base import TargetError

NAME = "netns"
BACKENDS.setdefault(NAME, f"{__name__}.NetnsBackend")


class NetnsBackend(base.BaseBackend):  # type: ignore[misc]
    """Runs every command in a named network namespace (root needed, as for the whole lab)."""

    NAME = NAME

    clock_offset_s = 0
    """`clock-skew`: all namespaces share one kernel clock, so a skewed node's commands run under
    libfaketime instead (the lab's stand-in for a node whose NTP is broken)."""

    old_kernel = False
    """`old-kernel`: the node's commands run with the UNAME26 personality (`setarch --uname-2.6`),
    so `uname -r` reports 2.6.x: the lab's stand-in for a node left on an old kernel."""

    def __init__(self, name: str, *args: Any, **kwargs: Any) -> None:
        self.namespace = name
        super().__init__(name, *args, **kwargs)

    def get_pytest_id(self) -> str:
        return f"netns://{self.namespace}"

    def run(self, command: str, *args: str, **kwargs: Any) -> Any:
        inner = self.get_command(command, *args)
        personality = f"setarch {platform.machine()} --uname-2.6 " if self.old_kernel else ""
        if not self.clock_offset_s:
            out = self.run_local(f"ip netns exec %s {personality}/bin/sh -c %s", self.namespace, inner)
        else:
            env = skewed_env(self.clock_offset_s)
            before = faketime_leftovers()
            try:
                out = self.run_local(
                    f"ip netns exec %s {personality}env LD_PRELOAD=%s FAKETIME=%s /bin/sh -c %s",
                    self.namespace, env["LD_PRELOAD"], env["FAKETIME"], inner)
            finally:
                sweep_faketime(before)
        out.command = self.encode(inner)
        return out


SHM = Path("/dev/shm")


def faketime_leftovers() -> set[Path]:
    """libfaketime (0.9.10) makes a semaphore and a shared-memory file per process, named after
    its PID, and removes them only if the process exits through it (an exec'd shell does not)."""
    return {*SHM.glob("faketime_shm_*"), *SHM.glob("sem.faketime_sem_*")}


def sweep_faketime(before: set[Path]) -> None:
    """Remove what our skewed command left: new since `before`, of processes that are gone."""
    for path in faketime_leftovers() - before:
        if not Path(f"/proc/{path.name.rsplit('_', 1)[-1]}").exists():
            path.unlink(missing_ok=True)


def skewed_env(offset_s: int) -> dict[str, str]:
    """libfaketime preloaded, without the `faketime` wrapper: the wrapper keeps a semaphore and a
    shared-memory file named after its PID in /dev/shm, left behind when it is killed, and a
    later wrapper given the same PID fails (`sem_open: File exists`: 318 such files found on
    this machine, and a node-facts check failed on it in a lab run)."""
    libraries = sorted(Path("/usr/lib").glob("*/faketime/libfaketime.so.1"))
    if not libraries:
        raise TargetError("defect clock-skew needs libfaketime: apt-get install faketime")
    return {"LD_PRELOAD": str(libraries[0]), "FAKETIME": f"{offset_s:+d}s"}


def lab_host(node: str, *, clock_offset_s: int = 0, old_kernel: bool = False) -> Any:
    """A testinfra `Host` whose commands run in `node`'s namespace."""
    host = testinfra.get_host(f"{NAME}://{node}")
    host.backend.clock_offset_s = clock_offset_s
    host.backend.old_kernel = old_kernel
    return host
