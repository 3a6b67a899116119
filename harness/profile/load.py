"""Load a profile from YAML and report every problem with its path, in one message."""

from __future__ import annotations

from pathlib import Path

from harness.errors import ProfileError
from harness.profile.model import Profile
from harness.profile.rules import cross_field_problems
from harness.validation import parse_yaml_model, read_text

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
    return parse_profile(read_text(path, error=ProfileError), source=str(path))


def parse_profile(text: str, *, source: str = "<text>") -> Profile:
    return parse_yaml_model(text, model=Profile, source=source, error=ProfileError,
                            sentences=_SENTENCES, rules=cross_field_problems)
