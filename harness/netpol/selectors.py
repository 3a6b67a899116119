"""Kubernetes label selectors: parsing with validation, matching, and a readable form."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from harness.netpol.errors import Problems

OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")

_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def label_key_problem(key: object) -> str | None:
    """Why `key` is not a valid label key (optional DNS-subdomain prefix, then a name), or None."""
    if not isinstance(key, str) or not key:
        return "a label key must be a non-empty string"
    prefix, _, name = key.rpartition("/")
    if "/" in key and (not prefix or len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix)):
        return f"label key {key!r} has an invalid prefix"
    if len(name) > 63 or not _NAME.match(name):
        return f"label key {key!r} is not a valid label name"
    return None


def label_value_problem(value: object) -> str | None:
    """Why `value` is not a valid label value (empty, or <= 63 name characters), or None."""
    if not isinstance(value, str):
        return f"label value {value!r} must be a string"
    if value and (len(value) > 63 or not _NAME.match(value)):
        return f"label value {value!r} is not a valid label value"
    return None


@dataclass(frozen=True)
class Requirement:
    """One matchExpressions entry."""

    key: str
    operator: str
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        if self.operator == "In":
            return labels.get(self.key) in self.values
        if self.operator == "NotIn":  # a missing key is "not in" any set
            return labels.get(self.key) not in self.values
        if self.operator == "Exists":
            return self.key in labels
        return self.key not in labels

    def __str__(self) -> str:
        if self.operator == "Exists":
            return f"has({self.key})"
        if self.operator == "DoesNotExist":
            return f"!has({self.key})"
        word = "in" if self.operator == "In" else "notin"
        return f"{self.key} {word} ({','.join(self.values)})"


@dataclass(frozen=True)
class Selector:
    """matchLabels plus matchExpressions, ANDed; the empty selector matches everything."""

    match_labels: tuple[tuple[str, str], ...] = ()
    expressions: tuple[Requirement, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(labels.get(k) == v for k, v in self.match_labels) and all(
            r.matches(labels) for r in self.expressions
        )

    def mentions(self, key: str) -> bool:
        return any(k == key for k, _ in self.match_labels) or any(r.key == key for r in self.expressions)

    def with_requirement(self, requirement: Requirement) -> Selector:
        return Selector(self.match_labels, (*self.expressions, requirement))

    def __str__(self) -> str:
        parts = [f"{k}={v}" for k, v in self.match_labels] + [str(r) for r in self.expressions]
        return ",".join(parts) if parts else "{}"


def parse_selector(
    raw: Any,
    path: str,
    problems: Problems,
    *,
    normalize_key: Callable[[str], str] = lambda key: key,
) -> Selector:
    """A Selector from its YAML form; problems are recorded, an empty selector is returned then."""
    if not isinstance(raw, dict):
        problems.add(path, "a label selector must be a mapping")
        return Selector()
    for key in raw:
        if key not in ("matchLabels", "matchExpressions"):
            problems.add(f"{path}.{key}", "unknown field in a label selector")
    labels: list[tuple[str, str]] = []
    match_labels = raw.get("matchLabels", {})
    if match_labels is None:
        match_labels = {}
    if not isinstance(match_labels, dict):
        problems.add(f"{path}.matchLabels", "must be a mapping of label keys to values")
    else:
        for key, value in match_labels.items():
            name = normalize_key(key) if isinstance(key, str) else key
            problem = label_key_problem(name) or label_value_problem(value)
            if problem:
                problems.add(f"{path}.matchLabels.{key}", problem)
            else:
                labels.append((name, value))
    expressions = _parse_expressions(raw.get("matchExpressions", []), f"{path}.matchExpressions",
                                     problems, normalize_key)
    return Selector(tuple(labels), expressions)


def _parse_expressions(raw: Any, path: str, problems: Problems,
                       normalize_key: Callable[[str], str]) -> tuple[Requirement, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.add(path, "must be a list of requirements")
        return ()
    found: list[Requirement] = []
    for index, item in enumerate(raw):
        where = f"{path}[{index}]"
        if not isinstance(item, dict):
            problems.add(where, "a requirement must be a mapping with key, operator and values")
            continue
        before = len(problems.items)
        for extra in set(item) - {"key", "operator", "values"}:
            problems.add(f"{where}.{extra}", "unknown field in a requirement")
        key = item.get("key")
        key = normalize_key(key) if isinstance(key, str) else key
        if (problem := label_key_problem(key)) is not None:
            problems.add(f"{where}.key", problem)
        operator = item.get("operator")
        values = item.get("values")
        if operator not in OPERATORS:
            problems.add(f"{where}.operator", f"must be one of {', '.join(OPERATORS)}")
        elif operator in ("In", "NotIn"):
            if not isinstance(values, list) or not values:
                problems.add(f"{where}.values", f"operator {operator} needs a non-empty list of values")
            else:
                for position, value in enumerate(values):
                    if (problem := label_value_problem(value)) is not None:
                        problems.add(f"{where}.values[{position}]", problem)
        elif values not in (None, []):
            problems.add(f"{where}.values", f"operator {operator} takes no values")
        if len(problems.items) == before:
            found.append(Requirement(str(key), str(operator), tuple(values or ())))
    return tuple(found)
