"""A failed check's stored message split into the sentence the check wrote and pytest's context.

The run file keeps pytest's long report (harness/plugin/items.py): the failing function's
arguments first (`target = <...LabTarget object at 0x7f...>`), then its source, and the
exception on lines marked `E`. A reader wants the check's own sentence; the rest stays on the
page behind a toggle.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ERROR_LINE = re.compile(r"^E(\s+)(.*)$")
# pytest's assertion rewriting follows the message with `assert <expression>` lines
_INTROSPECTION = re.compile(r"^(assert |\+|where |and |or |At index|Full diff|Use -v)")
_ASSERTION = "AssertionError: "


@dataclass(frozen=True)
class FailureText:
    sentence: str
    context: str | None  # the full report, when it holds more than the sentence


def split_message(message: str) -> FailureText:
    """Sentence of the innermost exception, or the whole message when pytest marked no `E` lines
    (a skip reason, a message written by hand)."""
    groups = _error_groups(message.splitlines())
    if not groups:
        return FailureText(message.strip(), None)
    lines = _sentence_lines(groups[-1]) or groups[-1]
    sentence = "\n".join(lines).strip().removeprefix(_ASSERTION)
    context = message.strip()
    return FailureText(sentence, context if context != sentence else None)


def _error_groups(lines: list[str]) -> list[list[str]]:
    """Runs of consecutive `E` lines with the marker and its indent removed; the last run is the
    exception that ended the test (earlier ones belong to chained exceptions)."""
    groups: list[list[str]] = []
    current: list[str] = []
    indent = 0
    for line in lines:
        found = _ERROR_LINE.match(line)
        if found is None:
            if current:
                groups.append(current)
                current = []
            continue
        if not current:
            indent = len(found.group(1))
        current.append(line[1 + indent:] if line[1:1 + indent].isspace() else found.group(2))
    if current:
        groups.append(current)
    return groups


def _sentence_lines(group: list[str]) -> list[str]:
    """The exception's message: its first line and the continuation lines pytest indents by two,
    up to the `assert ...` explanation."""
    lines = [group[0]]
    for line in group[1:]:
        if not line.startswith("  ") or _INTROSPECTION.match(line.strip()):
            break
        lines.append(line[2:])
    return lines if lines[0] and not _INTROSPECTION.match(lines[0]) else []
