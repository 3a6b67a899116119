"""Targets by name, imported lazily: an optional dependency loads only when its target is used.

A name is a registered key (`lab`, `kubernetes`) or a dotted `package.module:Class` for a
target that lives outside the harness (the plugin's own tests use one).
"""

from __future__ import annotations

import importlib

from harness.errors import HarnessError
from harness.profile import Profile
from harness.targets.base import Target
from harness.targets.planning import PlannedWrite, PlanSink, Verdict, schema_verdict

__all__ = ["REGISTRY", "PlanSink", "PlannedWrite", "Target", "Verdict", "make_target",
           "schema_verdict", "target_class"]

REGISTRY: dict[str, str] = {
    "lab": "harness.targets.lab:LabTarget",
    "kubernetes": "harness.targets.kubernetes:KubernetesTarget",
}


def target_class(name: str) -> type[Target]:
    dotted = REGISTRY.get(name, name if ":" in name else "")
    if not dotted:
        known = ", ".join(sorted(REGISTRY))
        raise HarnessError(f"unknown target {name!r}; known: {known} (or a dotted module:Class)")
    module_name, _, class_name = dotted.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name and module_name.startswith(error.name):
            raise HarnessError(f"target {name!r} cannot be loaded: no module {error.name!r}") from None
        raise
    cls = getattr(module, class_name, None)
    if not (isinstance(cls, type) and issubclass(cls, Target)):
        raise HarnessError(f"target {name!r}: {dotted} is not a harness Target class")
    return cls


def make_target(name: str, profile: Profile, *, run_id: str, plan: PlanSink | None = None) -> Target:
    """The target, complete: named after the run (`run_id`), and planning into `plan` (a dry
    run: nothing reaches the cluster) when given; a target that cannot plan refuses here."""
    return target_class(name)(profile, run_id=run_id, plan=plan)
