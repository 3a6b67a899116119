"""The expected-reachability engine's errors: bad policies are listed all at once, with paths."""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.errors import HarnessError


class PolicyError(HarnessError):
    """One or more policy documents that do not parse; lists every problem with its path."""

    def __init__(self, source: str, problems: list[tuple[str, str]]) -> None:
        self.source = source
        self.problems = problems
        count = len(problems)
        header = f"policies from {source} have {count} problem{'s' if count != 1 else ''}:"
        lines = [f"  {path}: {sentence}" if path else f"  {sentence}" for path, sentence in problems]
        super().__init__("\n".join([header, *lines]))


class ClusterError(HarnessError):
    """Namespace or pod descriptions the engine cannot use; `problems` lists each with its path."""

    def __init__(self, message: str, problems: list[tuple[str, str]] | None = None) -> None:
        self.problems = problems or []
        lines = [f"  {path}: {sentence}" if path else f"  {sentence}" for path, sentence in self.problems]
        super().__init__("\n".join([message, *lines]))


@dataclass
class Problems:
    """Collects (path, sentence) pairs while a document is parsed, so all are reported at once."""

    items: list[tuple[str, str]] = field(default_factory=list)

    def add(self, path: str, sentence: str) -> None:
        self.items.append((path, sentence))

    def __bool__(self) -> bool:
        return bool(self.items)
