"""How long a session's benchmarks run: `quick` for the acceptance run, `full` under `-m benchmark`.

`pytest suites/` is the check a user runs after every change, so its benchmarks run just long
enough for a verdict: the lengths were sized by their measured run-to-run noise on the lab (the
README's table), and the figures they give stay within a few percent of the full runs'.
`pytest suites/ -m benchmark` selects the benchmarks alone and runs them at full length, for the
figures a trend is built on. `--depth quick|full` says it outright. The run file records which.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeVar

import pytest

DepthName = Literal["quick", "full"]
DEPTHS: tuple[DepthName, ...] = ("quick", "full")
T = TypeVar("T")


@dataclass(frozen=True)
class Depth:
    name: DepthName

    def pick(self, quick: T, full: T) -> T:
        """The quick or the full value of a benchmark's parameter (a duration, a size)."""
        return full if self.name == "full" else quick


def selects_benchmarks(markexpr: str) -> bool:
    """Does `-m` ask for the benchmarks (`benchmark`, `benchmark and not x`), not exclude them?"""
    words = markexpr.replace("(", " ").replace(")", " ").split()
    return any(word == "benchmark" and (i == 0 or words[i - 1] != "not") for i, word in enumerate(words))


def session_depth(config: pytest.Config) -> Depth:
    asked = config.getoption("depth", None)
    if asked in DEPTHS:
        return Depth(asked)
    return Depth("full" if selects_benchmarks(str(config.getoption("markexpr", "") or "")) else "quick")


@pytest.fixture(scope="session")
def depth(request: pytest.FixtureRequest) -> Depth:
    """`depth.pick(quick, full)`: the session's benchmark length (see `harness.plugin.depth`)."""
    return session_depth(request.config)
