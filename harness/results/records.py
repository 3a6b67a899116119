"""What a run file holds: run metadata, test outcomes, measurements and timelines.

Values only. `FORMAT.md` beside this file documents every field; bump `FORMAT_VERSION` when a
field changes meaning or disappears (adding an optional field is not a new version).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Literal

FORMAT_NAME = "cluster-harness/run"
FORMAT_VERSION = 2
OLDEST_READABLE_VERSION = 1  # version 1 wrote chaos figures several times; read, never written

RunStatus = Literal["running", "passed", "failed", "interrupted", "incomplete", "crashed"]
RunDepth = Literal["quick", "full"]
OutcomeKind = Literal["passed", "failed", "skipped", "error", "xfailed", "xpassed"]


def new_run_id(now: datetime | None = None) -> str:
    """Sortable and unique: `20261123T211400Z-3f9a1c`."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{secrets.token_hex(3)}"


def harness_version() -> str:
    """The installed cluster-harness version, for the run file."""
    try:
        return version("cluster-harness")
    except PackageNotFoundError:
        return "unknown"


def utc_now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class Measurement:
    metric: str
    value: float
    unit: str
    higher_is_better: bool
    ceiling: float | None = None
    tags: dict[str, str] = field(default_factory=dict)
    nodeid: str | None = None
    time: str = field(default_factory=utc_now_iso)
    samples: tuple[float, ...] = ()
    """The repeated runs `value` summarises (their median), when the figure came from several."""


@dataclass(frozen=True)
class Outcome:
    nodeid: str
    outcome: OutcomeKind
    duration_s: float
    message: str | None = None
    worker: str | None = None


@dataclass(frozen=True)
class Timeline:
    """Free-form series for a test: probe samples, fault instants, chaos journals."""

    name: str
    kind: str
    data: dict[str, Any]
    nodeid: str | None = None


@dataclass(frozen=True)
class Writer:
    """The process writing a run's rows; `writer.py` tells whether it is gone."""

    host: str
    pid: int
    boot_id: str | None = None  # /proc/sys/kernel/random/boot_id: new at every boot
    start_ticks: int | None = None  # /proc/<pid>/stat field 22: tells a recycled PID apart


@dataclass
class RunMeta:
    id: str
    target: str
    profile: str
    harness_version: str
    started: str
    label: str | None = None
    ended: str | None = None
    status: RunStatus = "running"
    depth: RunDepth | None = None
    """`quick` or `full` benchmarks (`harness.plugin.depth`); None in older files."""
    components: dict[str, str] = field(default_factory=dict)
    crashed_workers: list[str] = field(default_factory=list)
    writer: Writer | None = None
    recovered: str | None = None  # when a later process marked it `crashed` and merged its rows
