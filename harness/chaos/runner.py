"""Run a scenario: steady state -> method (observed) -> steady state after -> rollbacks, journaled.

Guard rails come first and refuse with `GuardError` (journaled, result attached): one scenario
at a time, the steady state must hold, quorum must survive the method. Rollbacks always run once
any fault was tried: after failures, exceptions, Ctrl-C and SIGTERM, with both signals deferred
while they run. An interruption is re-raised afterwards as `ScenarioInterrupted` (with the result).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from harness.chaos.catalogue import bind_roles, run_check
from harness.chaos.errors import GuardError, ScenarioError, ScenarioInterrupted
from harness.chaos.expressions import ExpectationResult, evaluate, parse_expectation
from harness.chaos.guards import check_quorum, default_lock_path, exclusive
from harness.chaos.journal import Journal, JournalEntry, describe
from harness.chaos.load import profile_problems
from harness.chaos.metrics import all_metrics
from harness.chaos.model import Scenario
from harness.chaos.owed import RollbackLedger
from harness.chaos.refusals import TARGET_GUARD, target_refusals
from harness.chaos.result import ObservationResult, RunStatus, ScenarioResult
from harness.chaos.signals import shielded, sigterm_interrupts
from harness.chaos.slo_windows import fit_windows
from harness.chaos.steps import Method, Observer, rollback
from harness.metrics import EVENT_COUNT, EVENTS_PREFIX
from harness.profile import Profile
from harness.targets.base import Target


@dataclass(frozen=True)
class RunContext:
    """Everything a run needs besides the scenario; collaborators are explicit, never global."""

    target: Target
    profile: Profile
    source: str = "<scenario>"
    lock_path: Path = field(default_factory=default_lock_path)
    poll_interval_s: float = 0.5
    """Between steady-state attempts after the method."""
    sleep: Callable[[float], None] = time.sleep
    on_step: Callable[[JournalEntry], None] | None = None
    """Called as each journal entry is written (live progress in the CLI)."""
    ledger: RollbackLedger | None = None
    """Where each fault's undo is owed until it ran, so that it survives the harness dying."""


def run_scenario(scenario: Scenario, *, context: RunContext) -> ScenarioResult:
    problems = profile_problems(scenario, context.profile)
    if problems:
        raise ScenarioError(context.source, problems)
    return _Run(fit_windows(scenario, context.profile).scenario, context).execute()


class _Run:
    def __init__(self, scenario: Scenario, context: RunContext) -> None:
        self.scenario, self.context = scenario, context
        self.journal = Journal(on_entry=context.on_step)
        self.target = context.target
        self.bindings: dict[str, str] = {}
        self.method = Method(journal=self.journal, target=self.target, sleep=context.sleep,
                             ledger=context.ledger, scenario=scenario)
        self.observer = Observer(scenario.observe, journal=self.journal, target=self.target)
        self.deviated = False

    def execute(self) -> ScenarioResult:
        started = time.time()
        status: RunStatus = "completed"
        error: str | None = None
        stopped: BaseException | None = None
        with ExitStack() as stack:
            try:
                with self.journal.step("guard: one scenario at a time") as note:
                    stack.enter_context(exclusive(self.context.lock_path))
                    note.output = str(self.context.lock_path)
                stack.enter_context(sigterm_interrupts())
                self._guards()
                self.observer.start(sleep=self.context.sleep, disrupted=set(self.bindings.values()))
                self.method.run(self.scenario.method, self.bindings)
                self.observer.finish(fault_at=self.method.fault_at)
                self.deviated = not self._steady_after()
            except GuardError as refusal:
                status, error, stopped = "refused", str(refusal), refusal
            except KeyboardInterrupt as interruption:
                status, error, stopped = "interrupted", describe(interruption), interruption
            except Exception as failure:  # a bug or a target error: journaled, then rollbacks
                status, error = "failed", describe(failure)
            finally:
                self.observer.stop(fault_at=self.method.fault_at)
                deferred = self._rollbacks()
                self.observer.close()
        if deferred and status != "interrupted":
            status, error = "interrupted", f"{', '.join(deferred)} during rollbacks"
        result = self._result(started, status, error)
        if isinstance(stopped, GuardError):
            stopped.result = result
            raise stopped
        if status == "interrupted":
            raise ScenarioInterrupted(result) from stopped
        return result

    def _guards(self) -> None:
        refused = target_refusals(self.scenario, self.target)
        if refused:  # asked of the target alone, nothing of the cluster: journaled when it refuses
            with self.journal.step("guard: the target can run every step") as note:
                note.output = "; ".join(refused)
            raise GuardError(TARGET_GUARD, f"{self.target.id} cannot run this scenario: "
                             + "; ".join(refused))
        if self.scenario.steady_state_wait_s > 0:
            self._wait_for_steady_state()
        for check in self.scenario.steady_state:
            with self.journal.step(f"steady state before: {check.probe}") as note:
                outcome = run_check(check, target=self.target)
                note.output = outcome.sentence()
            if not outcome.ok:
                raise GuardError("steady state", f"does not hold before the method: {outcome.sentence()}")
        with self.journal.step("bind roles") as note:
            aims = [*self.scenario.method, *self.scenario.rollbacks]
            self.bindings = bind_roles([a for a in aims if a.target or a.node], target=self.target)
            note.output = ", ".join(f"{k}={v}" for k, v in self.bindings.items())
        with self.journal.step("guard: quorum") as note:
            note.output = check_quorum(method=self.scenario.method, bindings=self.bindings,
                                       members=self.target.controlplane.members(),
                                       quorum=self.context.profile.quorum)

    def _wait_for_steady_state(self) -> None:
        """Poll, bounded, until every steady-state check holds; the guard below then decides."""
        deadline = time.monotonic() + self.scenario.steady_state_wait_s
        with self.journal.step("wait for steady state") as note:
            attempts = 0
            while True:
                attempts += 1
                outcomes = [run_check(c, target=self.target) for c in self.scenario.steady_state]
                note.output = f"attempt {attempts}: " + "; ".join(o.sentence() for o in outcomes)
                if all(o.ok for o in outcomes) or time.monotonic() >= deadline:
                    return
                self.context.sleep(self.context.poll_interval_s)

    def _steady_after(self) -> bool:
        deadline = time.monotonic() + self.scenario.recovery_timeout_s
        attempts = 0
        with self.journal.step("steady state after") as note:
            while True:
                attempts += 1
                outcomes = [run_check(c, target=self.target) for c in self.scenario.steady_state]
                note.output = f"attempt {attempts}: " + "; ".join(o.sentence() for o in outcomes)
                if all(o.ok for o in outcomes):
                    return True
                if time.monotonic() >= deadline:
                    note.failed = f"not back within {self.scenario.recovery_timeout_s:g} s"
                    return False
                self.context.sleep(self.context.poll_interval_s)

    def _rollbacks(self) -> list[str]:
        with shielded() as deferred:
            if not self.method.started:
                self.journal.skip("rollbacks", "nothing was disrupted")
                return deferred
            self.method.undo_all()
            for index, step in enumerate(self.scenario.rollbacks):
                rollback(index, step, journal=self.journal, target=self.target,
                         bindings=self.bindings, sleep=self.context.sleep)
        return deferred

    def _result(self, started: float, status: RunStatus, error: str | None) -> ScenarioResult:
        fault_at = self.method.fault_at
        events = tuple(self.target.events.since(started))
        observations: tuple[ObservationResult, ...] = self.observer.results
        metrics = all_metrics(observations, events, fault_at=fault_at)
        expectations: tuple[ExpectationResult, ...] = ()
        if status == "completed":
            parsed = [parse_expectation(text) for text in self.scenario.expectations]
            for exp in parsed:  # an event that never happened was counted zero times
                if exp.metric.startswith(EVENTS_PREFIX) and exp.metric.endswith(f".{EVENT_COUNT.name}"):
                    metrics.setdefault(exp.metric, 0.0)
            with self.journal.step("expectations") as note:
                expectations = tuple(evaluate(e, metrics=metrics, profile=self.context.profile)
                                     for e in parsed)
                note.output = "\n".join(r.sentence() for r in expectations)
                unmet = sum(not r.ok for r in expectations)
                note.failed = f"{unmet} not met" if unmet else None
        else:
            self.journal.skip("expectations", f"run {status}")
        return ScenarioResult(
            title=self.scenario.title, source=self.context.source, target=self.target.id,
            status=status, deviated=self.deviated, started=started, ended=time.time(),
            journal=tuple(self.journal.entries), fault_at=fault_at, bindings=dict(self.bindings),
            observations=observations, metrics=metrics, expectations=expectations, events=events,
            error=error)
