"""Secrets never reach a page: redact by key name and by what a value looks like.

Timelines are scrubbed once, when they are loaded for a page (`load_frames(..., timelines=True)`);
the report scrubs the rest it renders from a run file (metadata, components, labels, messages,
tags), so a test that logs a kubeconfig or an S3 key by mistake does not publish it in a report
that gets mailed around.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

REDACTED = "[redacted]"

SECRET_KEY = re.compile(r"secret|token|password|passwd|key|credential|kubeconfig|auth",
                        re.IGNORECASE)
_VALUE_PATTERNS = [
    # kubeconfig content and PEM blocks: everything from the marker on is dropped
    re.compile(r"-----BEGIN [A-Z ]+-----.*?(-----END [A-Z ]+-----|$)", re.DOTALL),
    re.compile(r"(apiVersion:\s*v1\s+)?(clusters|users|contexts):.*", re.DOTALL),
    re.compile(r"(client-key-data|client-certificate-data|certificate-authority-data|token)"
               r"\s*[:=]\s*\S+", re.IGNORECASE),
    re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b"),  # AWS-style access key ids
    re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"),  # JWTs
    re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE),
    re.compile(r"(?<=://)[^/@\s:]+:[^/@\s]+(?=@)"),  # user:password@ in URLs
]
# `password=hunter2` in a message: keep the name so the reader knows what was there
_ASSIGNMENT = re.compile(r"((?:secret|token|password|passwd|access[_-]?key|api[_-]?key)\w*)"
                         r"(\s*[:=]\s*)[^\s,;&]+", re.IGNORECASE)


@lru_cache(maxsize=1 << 16)  # timelines repeat the same few strings by the hundred thousand
def scrub_text(text: str) -> str:
    text = _ASSIGNMENT.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    for pattern in _VALUE_PATTERNS:
        text = pattern.sub(REDACTED, text)
    return text


@lru_cache(maxsize=1 << 12)
def _secret_named(key: str) -> bool:
    return SECRET_KEY.search(key) is not None


def scrub(value: Any) -> Any:
    """A copy of `value` with secret-named keys' values and secret-looking strings redacted."""
    if isinstance(value, dict):
        return {key: REDACTED if isinstance(key, str) and _secret_named(key) else scrub(item)
                for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(item) for item in value]
    if isinstance(value, str):
        return scrub_text(value)
    return value
