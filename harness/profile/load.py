"""Load a profile from YAML and report every problem with its path, in one message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from harness.errors import ProfileError
from harness.profile.model import Profile
from harness.profile.rules import Problem, cross_field_problems

# Pydantic's wording, rephrased where a user would not recognise it.
_SENTENCES = {
    "ip_v4_address": "not an IPv4 address",
    "ip_v4_network": "not an IPv4 network in CIDR form",
    "missing": "is required",
    "extra_forbidden": "unknown field (check the spelling against profiles/homelab.example.yaml)",
    "string_pattern_mismatch": "not a valid node name (lowercase letters, digits and '-')",
}


def load_profile(path: Path | str) -> Profile:
    """Read and validate a profile; raise `ProfileError` listing all problems."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ProfileError(str(path), [("", f"cannot be read: {error.strerror}")]) from error
    return parse_profile(text, source=str(path))


def parse_profile(text: str, *, source: str = "<text>") -> Profile:
    try:
        document: Any = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ProfileError(source, [("", f"is not valid YAML: {error}")]) from error
    if not isinstance(document, dict):
        raise ProfileError(source, [("", "must be a YAML mapping at the top level")])
    try:
        profile = Profile.model_validate(document)
    except ValidationError as error:
        raise ProfileError(source, [_problem(detail) for detail in error.errors()]) from None
    problems = cross_field_problems(profile)
    if problems:
        raise ProfileError(source, problems)
    return profile


def _problem(detail: ErrorDetails) -> Problem:
    sentence = _SENTENCES.get(detail["type"]) or detail["msg"][:1].lower() + detail["msg"][1:]
    return format_location(detail["loc"]), sentence


def format_location(location: tuple[int | str, ...]) -> str:
    """('nodes', 2, 'address') -> 'nodes[2].address'."""
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
