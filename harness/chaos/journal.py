"""The journal: every step of a scenario run with its start, end, status, output and error."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

StepStatus = Literal["ok", "failed", "skipped"]


@dataclass(frozen=True)
class JournalEntry:
    name: str
    start: float
    """Seconds since the epoch."""
    end: float
    status: StepStatus
    output: str = ""
    error: str | None = None

    @property
    def duration_s(self) -> float:
        return self.end - self.start


@dataclass
class StepNote:
    """What a running step may say about itself; becomes the entry's output or failure."""

    output: str = ""
    failed: str | None = None
    """Set when the step ran without raising but did not hold (a tolerance not met)."""


class Journal:
    """Append-only; a step that raises (anything, Ctrl-C included) is journaled before it goes on."""

    def __init__(self, *, on_entry: Callable[[JournalEntry], None] | None = None) -> None:
        self.entries: list[JournalEntry] = []
        self._on_entry = on_entry

    def _add(self, entry: JournalEntry) -> None:
        self.entries.append(entry)
        if self._on_entry is not None:
            self._on_entry(entry)

    @contextmanager
    def step(self, name: str) -> Iterator[StepNote]:
        note = StepNote()
        start = time.time()
        try:
            yield note
        except BaseException as error:
            self._add(JournalEntry(name, start, time.time(), "failed", note.output,
                                             describe(error)))
            raise
        status: StepStatus = "failed" if note.failed else "ok"
        self._add(JournalEntry(name, start, time.time(), status, note.output, note.failed))

    def skip(self, name: str, reason: str) -> None:
        now = time.time()
        self._add(JournalEntry(name, now, now, "skipped", reason))


def describe(error: BaseException) -> str:
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
