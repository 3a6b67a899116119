"""Errors of the chaos room: a scenario that does not validate, a run a guard rail refused."""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.errors import HarnessError, ProblemsError

if TYPE_CHECKING:
    from harness.chaos.result import ScenarioResult


class ScenarioError(ProblemsError):
    """A scenario file that does not parse or validate; lists every problem with its path."""

    kind = "scenario"


class GuardError(HarnessError):
    """A guard rail refused to start the scenario; nothing was disrupted."""

    def __init__(self, guard: str, reason: str) -> None:
        self.guard = guard
        self.reason = reason
        self.result: ScenarioResult | None = None
        """Set by the runner: the journal of the refused run, for the run file."""
        super().__init__(f"refused to start ({guard}): {reason}")


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived during a scenario; handled like Ctrl-C (rollbacks run, then it propagates)."""


class ScenarioInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM stopped a scenario; rollbacks ran. Carries the result for the run file."""

    def __init__(self, result: ScenarioResult) -> None:
        self.result = result
        super().__init__(f"scenario {result.title!r} interrupted; rollbacks ran")
