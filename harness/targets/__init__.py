"""Targets by name, imported lazily: an optional dependency loads only when its target is used."""

from __future__ import annotations

import importlib

from harness.errors import HarnessError
from harness.profile import Profile
from harness.targets.base import Target

REGISTRY: dict[str, str] = {
    "lab": "harness.targets.lab:LabTarget",
    "kubernetes": "harness.targets.kubernetes:KubernetesTarget",
}


def target_class(name: str) -> type[Target]:
    try:
        dotted = REGISTRY[name]
    except KeyError:
        raise HarnessError(f"unknown target {name!r}; known: {', '.join(sorted(REGISTRY))}") from None
    module_name, _, class_name = dotted.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name and module_name.startswith(error.name):
            raise HarnessError(f"target {name!r} is not available in this version of the harness") from None
        raise
    cls: type[Target] = getattr(module, class_name)
    return cls


def make_target(name: str, profile: Profile) -> Target:
    return target_class(name)(profile)
