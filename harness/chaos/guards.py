"""Guard rails: one scenario at a time, never more members down than quorum allows."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from harness.chaos.errors import GuardError
from harness.chaos.model import Action, FaultStep
from harness.targets.base import Member

LOCK_ENV = "CLUSTER_HARNESS_CHAOS_LOCK"


def default_lock_path() -> Path:
    # Not the plugin's serial lock: that one is held around the whole test, and flock on a second
    # descriptor of the same file would wait for ourselves.
    return Path(os.environ.get(LOCK_ENV, "/tmp/cluster-harness-chaos.lock"))


@contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """Hold an exclusive, non-blocking lock for the run; refuse when another run holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise GuardError("one at a time", f"another disruptive scenario is running "
                                              f"(lock {path} held by pid {holder})") from None
        try:
            handle.truncate(0)
            handle.write(str(os.getpid()))
            handle.flush()
            yield
        finally:
            handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)


def takes_member_down(step: FaultStep) -> bool:
    if step.action in (Action.KILL, Action.STOP):
        return step.service == "etcd"
    return step.action in (Action.POWER_OFF, Action.REBOOT, Action.PARTITION)


def check_quorum(*, method: Sequence[FaultStep], bindings: Mapping[str, str],
                 members: Sequence[Member], quorum: int) -> str:
    """Refuse a method that leaves fewer healthy members than quorum; return what it found."""
    healthy = {m.node for m in members if m.healthy}
    down = {bindings[s.selector] for s in method if takes_member_down(s)} & healthy
    remaining = len(healthy) - len(down)
    summary = (f"takes down {', '.join(sorted(down)) or 'no member'}; {remaining} of {len(healthy)} "
               f"healthy members remain, quorum needs {quorum}")
    if remaining < quorum:
        raise GuardError("quorum", f"the method {summary}")
    return summary
