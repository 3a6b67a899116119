"""What a target can never do for a scenario, asked before anything runs.

A scenario either runs on a target or is refused with a sentence per reason: the fault the
target has no way to inject (a crash through Talos' API, power without a BMC), the observation
it cannot make (fio in the background). The runner refuses before its guards; the dry run
prints the same sentences, so a refusal is never a surprise halfway through a method.
"""

from __future__ import annotations

from harness.chaos.model import Action, ObserveProbe, RollbackAction, Scenario
from harness.targets.base import Target, TargetError

TARGET_GUARD = "target"
"""The guard a `GuardError` names when the target, not the cluster, refused the scenario."""


def target_refusals(scenario: Scenario, target: Target) -> list[str]:
    """One sentence per step or observation `target` cannot run; empty when it runs them all."""
    found: list[str] = []
    for index, step in enumerate(scenario.method):
        if step.action is not Action.PAUSE:
            why = target.faults.refusal(step.action.value, step.service)
            if why:
                found.append(f"method[{index}] {step.action}: {why}")
    for index, rollback in enumerate(scenario.rollbacks):
        if rollback.action is RollbackAction.POWER_ON:
            why = target.faults.refusal(rollback.action.value)
            if why:
                found.append(f"rollback[{index}] {rollback.action}: {why}")
    for name, observation in scenario.observe.items():
        if observation.probe is ObserveProbe.RBD_WRITE:
            try:
                why = target.storage.background_fio_refusal()
            except TargetError as error:  # no storage at all on this target or profile
                why = str(error)
            if why:
                found.append(f"observe {name} ({observation.probe}): {why}")
    return found
