"""What a scenario run produced: status, deviation, journal, timelines, metrics, expectations."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from harness.chaos.expressions import ExpectationResult
from harness.chaos.journal import JournalEntry
from harness.probes import Availability, Sample
from harness.targets.base import Event

RunStatus = Literal["completed", "refused", "failed", "interrupted"]
"""`completed`: the method and observation ran (expectations may still fail); `refused`: a guard
rail stopped the run before any fault; `failed`: a step raised; `interrupted`: Ctrl-C / SIGTERM."""


@dataclass(frozen=True)
class ObservationResult:
    name: str
    probe: str
    rate_hz: float
    samples: tuple[Sample, ...]
    availability: Availability
    changes: int | None = None
    """How often the reported value changed (VIP holder, leader); None for plain probes."""
    ended: float | None = None
    """When a background writer (`storage.rbd_write`) ended: I/O stuck until then was a stall."""


@dataclass(frozen=True)
class ScenarioResult:
    title: str
    source: str
    target: str
    status: RunStatus
    deviated: bool
    """The steady state did not come back after the method (within recovery_timeout_s)."""
    started: float
    ended: float
    journal: tuple[JournalEntry, ...]
    fault_at: float | None = None
    """Instant of the first fault, seconds since the epoch."""
    bindings: dict[str, str] = field(default_factory=dict)
    """Role selector -> node, bound before the method."""
    observations: tuple[ObservationResult, ...] = ()
    metrics: dict[str, float | None] = field(default_factory=dict)
    expectations: tuple[ExpectationResult, ...] = ()
    events: tuple[Event, ...] = ()
    error: str | None = None

    @property
    def passed(self) -> bool:
        rollbacks_ok = not any(e.status == "failed" and e.name.startswith("rollback")
                               for e in self.journal)
        return (self.status == "completed" and not self.deviated and rollbacks_ok
                and all(result.ok for result in self.expectations))

    def problems(self) -> list[str]:
        """One sentence per reason the run did not pass: what a failing test prints."""
        lines: list[str] = []
        if self.status != "completed":
            lines.append(f"run {self.status}: {self.error or 'see the journal'}")
        if self.deviated:
            lines.append("steady state did not come back after the method (deviated)")
        lines += [result.sentence() for result in self.expectations if not result.ok]
        failed = [e for e in self.journal if e.status == "failed" and e.name.startswith("rollback")]
        lines += [f"{e.name} failed: {e.error}" for e in failed]
        return lines
