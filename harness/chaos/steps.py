"""The moving parts of a run: faults with their undos, observers around them, declared rollbacks."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping, Sequence
from functools import partial
from typing import Any

from harness.chaos.catalogue import observe_operation
from harness.chaos.errors import Terminated
from harness.chaos.io_writer import RbdWriter
from harness.chaos.journal import Journal
from harness.chaos.metrics import observation_result
from harness.chaos.model import (
    Action,
    FaultStep,
    Observation,
    ObserveProbe,
    RollbackAction,
    RollbackStep,
    Scenario,
)
from harness.chaos.owed import RollbackLedger
from harness.chaos.result import ObservationResult
from harness.chaos.signals import shielded
from harness.probes import Prober
from harness.targets.base import Target, Undo

Sleep = Callable[[float], None]


class _Once:
    """An undo that runs at most once: the method may heal a fault early, rollbacks must not redo it."""

    def __init__(self, undo: Undo, on_done: Callable[[], None] | None = None) -> None:
        self._undo, self.done, self._on_done = undo, False, on_done

    def __call__(self) -> None:
        if not self.done:
            self._undo()
            self.done = True  # only once it worked: a failed early undo is retried by the rollbacks
            if self._on_done is not None:
                self._on_done()



FAULT_EVENT_KINDS = {Action.POWER_OFF: "power-off", Action.REBOOT: "reboot", Action.KILL: "kill",
                     Action.STOP: "stop", Action.PARTITION: "partition",
                     Action.DEGRADE_LINK: "degrade-link"}
"""The event each fault's target stamps when the fault is in force (`model.EVENT_KINDS`)."""


class Method:
    """Applies fault steps in order and keeps an undo for each, for the rollbacks."""

    def __init__(self, *, journal: Journal, target: Target, sleep: Sleep,
                 ledger: RollbackLedger | None = None, scenario: Scenario | None = None) -> None:
        self.journal, self.target, self.sleep = journal, target, sleep
        self.ledger, self.scenario = ledger, scenario
        self.started = False
        self.fault_at: float | None = None
        self.undos: list[tuple[str, _Once]] = []

    def run(self, steps: Sequence[FaultStep], bindings: Mapping[str, str]) -> None:
        for index, step in enumerate(steps):
            if step.action is Action.PAUSE:
                with self.journal.step(f"method[{index}] pause {step.duration_s:g} s"):
                    self.sleep(step.duration_s or 0.0)
                continue
            node = bindings[step.selector]
            label = f"{step.action} {node}" + (f" ({step.service})" if step.service else "")
            # Ctrl-C or SIGTERM wait until the fault is applied and its undo kept: arriving in
            # between, they left the fault in force with nothing to roll it back (seen in CI).
            with shielded() as deferred:
                with self.journal.step(f"method[{index}] {step.name or label}") as note:
                    self.started = True  # from here on, rollbacks are owed even if the call raises
                    owed = self._owe(step, node)  # on disk first: a SIGKILL next still finds it
                    first, asked_at = self.fault_at is None, time.time()
                    if first:
                        self.fault_at = asked_at  # kept if the call raises
                    undo = self._apply(step, node)
                    if first:
                        self.fault_at = self._in_force_at(step, node, asked_at)
                    note.output = f"{label} at {time.time():.3f}"
                settle = partial(self.ledger.settle, owed) if owed and self.ledger else None
                once = _Once(undo, settle) if undo is not None else None
                if once is None and settle is not None:
                    settle()  # a reboot: nothing is left to undo
                if once is not None:
                    self.undos.append((label, once))
            if deferred:
                raise Terminated(deferred[0]) if "SIGTERM" in deferred else KeyboardInterrupt()
            if once is not None and step.duration_s:
                self.sleep(step.duration_s)
                with self.journal.step(f"method[{index}] undo {label} after {step.duration_s:g} s"):
                    once()
            if step.pause_after_s:
                self.sleep(step.pause_after_s)

    def _in_force_at(self, step: FaultStep, node: str, asked_at: float) -> float:
        """When the target stamped the fault in force (a partition pod on a real node cuts
        seconds after it was asked to), else when it was asked for."""
        kind = FAULT_EVENT_KINDS.get(step.action)
        stamped = [e.time for e in self.target.events.since(asked_at) if e.kind == kind and e.node == node]
        return min(stamped, default=asked_at)

    def _owe(self, step: FaultStep, node: str) -> str | None:
        if self.ledger is None or step.action is Action.REBOOT:
            return None
        entry = self.ledger.owe(target=self.target.id, action=str(step.action), node=node,
                                service=step.service, **self._what_healed_means())
        return entry.id

    def _what_healed_means(self) -> dict[str, Any]:
        """The owing scenario's name, steady-state checks and recovery timeout, for the ledger."""
        if self.scenario is None:
            return {}
        return {"scenario": self.scenario.title, "recovery_timeout_s": self.scenario.recovery_timeout_s,
                "steady_state": tuple((str(c.probe), c.tolerance) for c in self.scenario.steady_state)}

    def _apply(self, step: FaultStep, node: str) -> Undo | None:
        faults = self.target.faults
        if step.action is Action.POWER_OFF:
            return faults.power_off(node)
        if step.action is Action.REBOOT:
            faults.reboot(node)
            return None
        if step.action is Action.KILL:
            return faults.kill(step.service or "", node)
        if step.action is Action.STOP:
            return faults.stop(step.service or "", node)
        if step.action is Action.PARTITION:
            return faults.partition(node, heal_after_s=step.duration_s)
        return faults.degrade_link(node, step.rate_mbit or 0.0)

    def undo_all(self) -> None:
        """Last fault first; a failing undo is journaled and the others still run."""
        for label, once in reversed(self.undos):
            if once.done:
                self.journal.skip(f"rollback: undo {label}", "already undone by the method")
                continue
            try:
                with self.journal.step(f"rollback: undo {label}"):
                    once()
            except Exception:
                continue  # journaled; keep rolling back


def rollback(index: int, step: RollbackStep, *, journal: Journal, target: Target,
             bindings: Mapping[str, str], sleep: Sleep) -> None:
    if step.action is RollbackAction.PAUSE:
        with journal.step(f"rollback[{index}] pause {step.duration_s:g} s"):
            sleep(step.duration_s or 0.0)
        return
    node = bindings.get(step.selector)
    if node is None:
        journal.skip(f"rollback[{index}] {step.action}", f"{step.selector} was never bound")
        return
    try:
        with journal.step(f"rollback[{index}] {step.action} {node}"):
            target.faults.power_on(node)
    except Exception:
        return  # journaled; the remaining rollbacks still run


class Observer:
    """One prober per observation, all started together before the method."""

    def __init__(self, observations: Mapping[str, Observation], *, journal: Journal,
                 target: Target) -> None:
        self.observations = dict(observations)
        self.journal = journal
        self.writers = {name: RbdWriter(obs, name=name, target=target)
                        for name, obs in self.observations.items() if obs.probe is ObserveProbe.RBD_WRITE}
        self.probers: dict[str, Prober | RbdWriter] = {
            name: self.writers.get(name) or Prober(
                observe_operation(obs, target=target), name=name, rate_hz=obs.rate_hz,
                max_duration_s=obs.duration_s, max_in_flight=obs.in_flight)
            for name, obs in self.observations.items()
        }
        self.results: tuple[ObservationResult, ...] = ()

    def start(self, *, sleep: Sleep, disrupted: Collection[str] = ()) -> None:
        """`disrupted`: the nodes the method will fault, which a writer must stay off."""
        if not self.probers:
            return
        with self.journal.step(f"observe: start {', '.join(self.probers)}") as note:
            for name, prober in self.probers.items():
                writer = self.writers.get(name)
                if writer is not None:
                    writer.start(disrupted=disrupted)
                else:
                    prober.start()
            lead_s = max(o.lead_s for o in self.observations.values())
            note.output = f"lead-in {lead_s:g} s before the method"
        sleep(lead_s)

    def finish(self, *, fault_at: float | None) -> None:
        """Wait for each prober to reach its bound, then derive its windows."""
        results = []
        for name, prober in self.probers.items():
            obs = self.observations[name]
            with self.journal.step(f"observe: {name}") as note:
                samples = prober.wait(obs.duration_s + obs.timeout_s + 5.0)
                result = observation_result(name, obs.probe, obs.rate_hz, samples, fault_at=fault_at,
                                            ended=self._ended(name))
                a = result.availability
                note.output = (f"{a.samples} samples, {len(a.windows)} windows, longest "
                               f"{a.longest_unavailable_s:.3f} s, availability "
                               f"{a.availability_pct if a.availability_pct is not None else 0:.1f} %")
            results.append(result)
        self.results = tuple(results)

    def stop(self, *, fault_at: float | None) -> None:
        """Stop probers early (failure, interruption) and keep what they sampled."""
        if self.results or not self.probers:
            return
        self.results = tuple(
            observation_result(name, self.observations[name].probe, self.observations[name].rate_hz,
                               prober.stop(), fault_at=fault_at, ended=self._ended(name))
            for name, prober in self.probers.items() if prober.started_at is not None)

    def _ended(self, name: str) -> float | None:
        writer = self.writers.get(name)
        return None if writer is None else writer.ended_at

    def close(self) -> None:
        """Release what observers made (a writer's image); after the rollbacks, never raises."""
        for name, writer in self.writers.items():
            try:
                with self.journal.step(f"observe: clean up {name}"):
                    writer.close()
            except Exception:
                continue  # journaled
