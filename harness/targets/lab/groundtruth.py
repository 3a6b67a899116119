"""Ground truth the lab can see: when the VIP really moved, when etcd really elected a leader.

keepalived's notify script appends `epoch node STATE` on every VRRP transition, and etcd's zap
log carries a timestamp on its "became leader" line. Reading those files gives the true
instant of each change, not the moment a poll happened to notice it. The log is read lazily:
`since()` first folds in whatever the files gained, so no thread runs in the background.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from harness.targets.base import Event, EventLog
from harness.targets.lab.config import LabPlan

VIP_MOVED = "vip-moved"
VIP_RELEASED = "vip-released"
LEADER_ELECTED = "leader-elected"


def parse_vip_line(line: str) -> tuple[float, str, str] | None:
    """`1717000000.123456789 cp2 MASTER` -> (time, node, state); None for anything else."""
    parts = line.split()
    if len(parts) != 3:
        return None
    try:
        return float(parts[0]), parts[1], parts[2]
    except ValueError:
        return None


def parse_leader_line(line: str) -> tuple[float, int] | None:
    """An etcd zap line `... became leader at term N` -> (time, term); None for anything else."""
    if "became leader at term" not in line:
        return None
    try:
        record = json.loads(line)
        when = datetime.strptime(record["ts"], "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
        return when, int(str(record["msg"]).rsplit(" ", 1)[1])
    except (ValueError, KeyError, IndexError, TypeError):
        return None


@dataclass
class LabEventLog(EventLog):
    """The target's event log plus the lab's ground-truth files, folded in on read."""

    plan: LabPlan | None = None
    _offsets: dict[Path, int] = field(default_factory=dict)
    _holders: set[str] = field(default_factory=set)
    _collect_lock: threading.Lock = field(default_factory=threading.Lock)

    def skip_history(self) -> None:
        """Start reading at the files' current ends: a new target does not replay old runs."""
        for path in self._sources():
            self._offsets[path] = path.stat().st_size if path.exists() else 0

    def _sources(self) -> list[Path]:
        if self.plan is None:
            return []
        logs = [self.plan.log_path(n.name, "etcd") for n in self.plan.etcd_members]
        return [self.plan.vip_events_path, *logs]

    def _new_lines(self, path: Path) -> list[str]:
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            self._offsets[path] = 0
            return []
        offset = self._offsets.get(path, 0)
        if size < offset:  # recreated by a new `up`
            offset = 0
        with path.open("rb") as handle:
            handle.seek(offset)
            data = handle.read(size - offset)
        complete = data.rfind(b"\n") + 1  # leave a half-written last line for the next read
        self._offsets[path] = offset + complete
        return data[:complete].decode(errors="replace").splitlines()

    def collect(self) -> None:
        if self.plan is None:
            return
        with self._collect_lock:
            for line in self._new_lines(self.plan.vip_events_path):
                self._vip_line(line)
            for node in self.plan.etcd_members:
                for line in self._new_lines(self.plan.log_path(node.name, "etcd")):
                    parsed = parse_leader_line(line)
                    if parsed:
                        self.stamp(LEADER_ELECTED, node.name, f"term {parsed[1]}", at=parsed[0])

    def _vip_line(self, line: str) -> None:
        parsed = parse_vip_line(line)
        if parsed is None:
            return
        when, node, state = parsed
        if state == "MASTER":
            self._holders.add(node)
            self.stamp(VIP_MOVED, node, "VRRP MASTER", at=when)
        elif node in self._holders:
            self._holders.discard(node)
            self.stamp(VIP_RELEASED, node, f"VRRP {state}", at=when)

    def forget_holder(self, node: str) -> None:
        """The node died holding the VIP: its next BACKUP line (a fresh start) is no release."""
        self.collect()
        with self._collect_lock:
            self._holders.discard(node)

    def since(self, start: float) -> list[Event]:
        self.collect()
        return super().since(start)
