"""YAML file -> validated pydantic model, every problem listed with its path in one error.

Profiles and chaos scenarios load the same way; only the model, the wording of a few pydantic
errors and the cross-field rules differ.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from harness.errors import ProblemsError

Problem = tuple[str, str]
Model = TypeVar("Model", bound=BaseModel)


def read_text(path: Path | str, *, error: type[ProblemsError]) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as problem:
        raise error(str(path), [("", f"cannot be read: {problem.strerror}")]) from problem


def parse_yaml_model(text: str, *, model: type[Model], source: str, error: type[ProblemsError],
                     sentences: Mapping[str, str], rules: Callable[[Model], list[Problem]]) -> Model:
    """Parse, validate field by field, then apply the cross-field `rules`; raise `error` listing
    every problem of the first stage that has any."""
    try:
        document: Any = yaml.safe_load(text)
    except yaml.YAMLError as problem:
        raise error(source, [("", f"is not valid YAML: {problem}")]) from problem
    except (ValueError, RecursionError) as problem:  # `2026-02-30`, `!!int x`: the constructors raise
        raise error(source, [("", f"is not valid YAML: {problem or 'nested too deeply'}")]) from None
    if not isinstance(document, dict):
        raise error(source, [("", "must be a YAML mapping at the top level")])
    try:
        # As JSON, strictly: YAML `true` or `5` is then no port and no IPv4 address (pydantic's
        # lax mode would take them as 1 and 0.0.0.5), while strings still become addresses,
        # paths and enums. Dates and sets YAML made become text; a cyclic anchor is refused.
        as_json = json.dumps(document, default=str, allow_nan=True)
    except (ValueError, RecursionError):
        raise error(source, [("", "refers to itself (a YAML anchor used inside itself)")]) from None
    try:
        parsed = model.model_validate_json(as_json, strict=True)
    except ValidationError as problem:
        raise error(source, [problem_of(detail, sentences) for detail in problem.errors()]) from None
    problems = rules(parsed)
    if problems:
        raise error(source, problems)
    return parsed


def problem_of(detail: ErrorDetails, sentences: Mapping[str, str]) -> Problem:
    """Pydantic's wording, rephrased where a user would not recognise it."""
    message = detail["msg"].removeprefix("Value error, ")
    message = message[:1].lower() + message[1:]
    kind = _address_kind(detail, message)
    if kind in sentences and kind != detail["type"]:  # keep ipaddress's detail: which octet
        return format_location(detail["loc"]), f"{sentences[kind]} ({message})"
    return format_location(detail["loc"]), sentences.get(kind) or message


def _address_kind(detail: ErrorDetails, message: str) -> str:
    """Strict JSON validation reports a bad address as ipaddress's ValueError: name it as lax
    validation would (`ip_v4_address`, `ip_v4_network`)."""
    cause = (detail.get("ctx") or {}).get("error")
    if isinstance(cause, ipaddress.NetmaskValueError) or "has host bits set" in message:
        return "ip_v4_network"
    if isinstance(cause, ipaddress.AddressValueError):
        return "ip_v4_address"
    return detail["type"]


def format_location(location: tuple[int | str, ...]) -> str:
    """('nodes', 2, 'address') -> 'nodes[2].address'."""
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
