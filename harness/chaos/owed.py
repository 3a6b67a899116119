"""Rollbacks that outlive the harness: a durable ledger of the faults it applied and still owes.

Before a fault is applied, what would undo it is appended to `<results dir>/.owed-rollbacks.jsonl`
and fsynced; once the undo has run, a `settled` line follows. A harness that is SIGKILLed, runs
out of memory or loses its terminal mid-scenario leaves the debt on disk: the next session on the
same target (and `harness chaos recover`) reads what is still owed and heals it before anything
else. An entry names the fault, never a closure: `Faults.heal` rebuilds the undo in any process.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from harness.errors import HarnessError

if TYPE_CHECKING:
    from harness.chaos.model import Check
    from harness.targets.base import Target

LEDGER_NAME = ".owed-rollbacks.jsonl"


@dataclass(frozen=True)
class OwedUndo:
    """One applied fault and how to undo it from scratch."""

    id: str
    target: str
    """The target's id (`lab://lab`, `kubernetes://...`): only a session on it may heal it."""
    action: str
    """`power_off`, `kill`, `partition` or `degrade_link` (the scenario's step action)."""
    node: str
    service: str | None = None
    scenario: str = ""
    applied_at: float = 0.0
    steady_state: tuple[tuple[str, str | int], ...] = ()
    """The owing scenario's steady-state checks as (probe, tolerance): healed means they hold."""
    recovery_timeout_s: float = 30.0
    """How long the owing scenario gives its steady state to come back after the undo."""

    def describe(self) -> str:
        what = f"{self.action} {self.node}" + (f" ({self.service})" if self.service else "")
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.applied_at))
        return f"{what} on {self.target}, applied {when}" + (f" by {self.scenario}" if self.scenario else "")


class RollbackLedger:
    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def in_results(cls, results_dir: Path) -> RollbackLedger:
        return cls(results_dir / LEDGER_NAME)

    def owe(self, *, target: str, action: str, node: str, service: str | None = None,
            scenario: str = "", steady_state: tuple[tuple[str, str | int], ...] = (),
            recovery_timeout_s: float = 30.0) -> OwedUndo:
        entry = OwedUndo(id=uuid.uuid4().hex[:12], target=target, action=action, node=node,
                         service=service, scenario=scenario, applied_at=time.time(),
                         steady_state=steady_state, recovery_timeout_s=recovery_timeout_s)
        self._append({"owed": asdict(entry)})
        return entry

    def settle(self, entry_id: str) -> None:
        self._append({"settled": entry_id})
        if not self.outstanding():  # all paid: nothing for the next session to read
            self.path.unlink(missing_ok=True)

    def outstanding(self, target: str | None = None) -> list[OwedUndo]:
        """Owed and not settled, oldest first; a torn last line (a kill mid-write) is skipped."""
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        owed: dict[str, OwedUndo] = {}
        for line in lines:
            try:
                row = json.loads(line)
            except ValueError:
                continue
            if not isinstance(row, dict):
                continue
            if isinstance(row.get("owed"), dict):
                try:
                    entry = OwedUndo(**row["owed"])
                    checks = tuple((str(p), t) for p, t in entry.steady_state)  # JSON lists
                except (TypeError, ValueError):
                    continue
                entry = replace(entry, steady_state=checks)
                owed[entry.id] = entry
            elif isinstance(row.get("settled"), str):
                owed.pop(row["settled"], None)
        return [e for e in owed.values() if target is None or e.target == target]

    def _append(self, row: dict[str, object]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = (json.dumps(row, sort_keys=True) + "\n").encode()
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, data)
            os.fsync(fd)  # on disk before the fault is applied: a kill right after still finds it
        finally:
            os.close(fd)


def pay_owed(ledger: RollbackLedger, target: Target, *, say: Callable[[str], None],
             sleep: Callable[[float], None] = time.sleep) -> int:
    """Heal, oldest first, every fault still owed on this target, then wait (bounded) until the
    owing scenarios' steady state holds again; returns how many were healed. A heal that fails
    stops here with one sentence, and its debt stays for the next attempt."""
    owed = ledger.outstanding(target.id)
    for entry in owed:
        try:
            done = target.faults.heal(entry.action, entry.node, entry.service)
        except HarnessError as error:
            raise HarnessError(f"a rollback left by an earlier run failed: {entry.describe()}: "
                               f"{error} (heal it by hand, then `harness chaos recover --forget`)"
                               ) from None
        ledger.settle(entry.id)
        say(f"rollback left by an earlier run: {entry.describe()}: {done}")
    if owed:  # a rejoining member or a restarted daemon needs its moment, as after any undo
        _wait_steady(owed, target, say=say, sleep=sleep)
    return len(owed)


def _checks(owed: list[OwedUndo], target: Target) -> list[Check]:
    from harness.chaos.model import Check, SteadyProbe

    pairs = {pair for entry in owed for pair in entry.steady_state}
    if not pairs:  # written before entries carried their scenario's checks: the control plane
        pairs = {(str(SteadyProbe.MEMBERS_HEALTHY), len(target.profile.controlplane_nodes())),
                 (str(SteadyProbe.ONE_LEADER), "ok"), (str(SteadyProbe.VIP_ANSWERS), "ok")}
    known = {str(probe) for probe in SteadyProbe}  # a hand-edited ledger may name anything
    return [Check(probe=SteadyProbe(probe), tolerance=tolerance)
            for probe, tolerance in sorted(pairs, key=str) if probe in known]


def _wait_steady(owed: list[OwedUndo], target: Target, *, say: Callable[[str], None],
                 sleep: Callable[[float], None]) -> None:
    from harness.chaos.catalogue import run_check

    checks = _checks(owed, target)
    timeout_s = max(entry.recovery_timeout_s for entry in owed)
    started = time.monotonic()
    while True:
        outcomes = [run_check(check, target=target) for check in checks]
        waited = time.monotonic() - started
        if all(outcome.ok for outcome in outcomes):
            say(f"steady state back {waited:.1f} s after the heal: "
                + "; ".join(o.sentence() for o in outcomes))
            return
        if waited >= timeout_s:
            raise HarnessError(f"healed what an earlier run left, but the steady state did not "
                               f"come back within {timeout_s:g} s: "
                               + "; ".join(o.sentence() for o in outcomes if not o.ok))
        sleep(0.5)
