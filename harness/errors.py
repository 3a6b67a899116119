"""The harness's user-facing errors: one sentence, exit status 1, no traceback.

A `HarnessError` is a mistake the user can fix (a bad profile, a missing package, no root).
Anything else that escapes is a bug and keeps its traceback.
"""

from __future__ import annotations


class HarnessError(Exception):
    """A problem the user can fix; its message is shown as is."""


class ProblemsError(HarnessError):
    """An input file that does not parse or validate; lists every problem with its path."""

    kind = "input"

    def __init__(self, source: str, problems: list[tuple[str, str]]) -> None:
        self.source = source
        self.problems = problems
        lines = [f"  {path}: {sentence}" if path else f"  {sentence}" for path, sentence in problems]
        count = len(problems)
        header = f"{self.kind} {source} has {count} problem{'s' if count != 1 else ''}:"
        super().__init__("\n".join([header, *lines]))


class ProfileError(ProblemsError):
    kind = "profile"
