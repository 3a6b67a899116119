"""Expectations: `<metric> <op> <number | profile.path>`, parsed by a regular expression, never eval.

`api.longest_unavailable_s <= profile.expectations.api_unavailable_on_power_loss_max_s` compares
a metric the run measured with a number from the profile. Profile paths are checked against the
`Profile` model's fields when the scenario is validated, before any profile is loaded.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from harness.profile import Profile

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le, "<": operator.lt, ">=": operator.ge, ">": operator.gt,
    "==": operator.eq, "!=": operator.ne,
}
_EXPRESSION = re.compile(
    r"^\s*(?P<metric>[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)\s*(?P<op><=|>=|==|!=|<|>)\s*(?P<rhs>\S+)\s*$")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_PROFILE_PATH = re.compile(r"^profile((?:\.[a-z_][a-z0-9_]*)+)$")


@dataclass(frozen=True)
class Expectation:
    text: str
    metric: str
    op: str
    number: float | None = None
    profile_path: str | None = None
    """Dotted path below the profile, e.g. `expectations.api_unavailable_on_power_loss_max_s`."""

    @property
    def observation(self) -> str:
        return self.metric.split(".", 1)[0]


def parse_expectation(text: str) -> Expectation:
    """Parse one expectation; a ValueError's message is the sentence shown to the user."""
    match = _EXPRESSION.match(text)
    if match is None:
        raise ValueError(f"cannot read {text!r}: expected '<metric> <op> <number | profile.path>' "
                         f"with op one of {' '.join(OPERATORS)}")
    metric, op, rhs = match["metric"], match["op"], match["rhs"]
    if _NUMBER.match(rhs):
        return Expectation(text.strip(), metric, op, number=float(rhs))
    path = _PROFILE_PATH.match(rhs)
    if path is None:
        raise ValueError(f"right-hand side {rhs!r} is neither a number nor profile.<path>")
    dotted = path[1].lstrip(".")
    problem = profile_path_problem(dotted)
    if problem:
        raise ValueError(problem)
    return Expectation(text.strip(), metric, op, profile_path=dotted)


def profile_path_problem(dotted: str) -> str | None:
    """Walk the Profile model's fields statically: a typo is caught without loading a profile."""
    model: type[BaseModel] = Profile
    parts = dotted.split(".")
    for index, part in enumerate(parts):
        field = model.model_fields.get(part)
        if field is None:
            known = ", ".join(sorted(model.model_fields))
            where = "profile." + ".".join(parts[:index]) if index else "profile"
            return f"{where} has no field {part!r} (known: {known})"
        annotation = field.annotation
        last = index == len(parts) - 1
        if last:
            if annotation not in (int, float):
                return f"profile.{dotted} is not a number"
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
        else:
            return f"profile.{'.'.join(parts[: index + 1])} has no fields below it"
    return None


def profile_value(profile: Profile, dotted: str) -> float:
    value: Any = profile
    for part in dotted.split("."):
        value = getattr(value, part)
    return float(value)


@dataclass(frozen=True)
class ExpectationResult:
    expectation: Expectation
    measured: float | None
    limit: float
    ok: bool

    def sentence(self) -> str:
        exp = self.expectation
        source = f" (profile.{exp.profile_path})" if exp.profile_path else ""
        measured = "not measured" if self.measured is None else f"{self.measured:.3g}"
        verdict = "met" if self.ok else "NOT met"
        return f"{exp.metric} = {measured}, expected {exp.op} {self.limit:g}{source}: {verdict}"


def evaluate(expectation: Expectation, *, metrics: Mapping[str, float | None],
             profile: Profile) -> ExpectationResult:
    """A metric that was not measured (e.g. never recovered) fails its expectation."""
    if expectation.profile_path is not None:
        limit = profile_value(profile, expectation.profile_path)
    else:
        limit = expectation.number if expectation.number is not None else float("nan")
    measured = metrics.get(expectation.metric)
    ok = measured is not None and OPERATORS[expectation.op](measured, limit)
    return ExpectationResult(expectation, measured, limit, ok)
