"""Where a session's time went, per area (`suites/network`, `scenarios`, ...), printed at its end.

Issue 11 asks for a verdict in a minute: this table is how a user (and the note) sees which area
costs what. Each test's setup, call and teardown count for its area; what is left of the wall
time (bringing the lab up, the run file, the report) is the session's own. Under xdist the sums
are work, not wall time: the header says so.
"""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any

import pytest

from harness.plugin.state import harness_session


def area_of(nodeid: str) -> str:
    """`suites/network/test_x.py::t[a]` -> `suites/network`; a scenario file is its own area."""
    return "/".join(nodeid.split("::", 1)[0].split("/")[:2])


class AreaClock:
    def __init__(self) -> None:
        self.started = time.monotonic()
        self.seconds: dict[str, float] = defaultdict(float)
        self.checks: dict[str, set[str]] = defaultdict(set)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        area = area_of(report.nodeid)
        self.seconds[area] += report.duration
        self.checks[area].add(report.nodeid)

    def lines(self, *, parallel: bool) -> list[str]:
        wall = time.monotonic() - self.started
        width = max([len(a) for a in self.seconds] + [len("session (lab, run file, report)")])
        lines = [f"{'area':<{width}}  checks  {'work' if parallel else 'time'}"]
        for area in sorted(self.seconds):
            lines.append(f"{area:<{width}}  {len(self.checks[area]):>6}  {self.seconds[area]:6.1f} s")
        if not parallel:
            rest = max(0.0, wall - sum(self.seconds.values()))
            lines.append(f"{'session (lab, run file, report)':<{width}}  {'':>6}  {rest:6.1f} s")
        lines.append(f"{'wall time':<{width}}  {'':>6}  {wall:6.1f} s")
        return lines


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    # Only where the run machinery is awake (suites/, scenarios/), and on the controller.
    config = session.config
    if harness_session(config) is None or hasattr(config, "workerinput"):
        return
    config.pluginmanager.register(AreaClock(), "cluster-harness-area-clock")


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    clock = config.pluginmanager.get_plugin("cluster-harness-area-clock")
    if not isinstance(clock, AreaClock) or not clock.seconds:
        return
    parallel = bool(getattr(config.option, "numprocesses", None))
    terminalreporter.write_sep("-", "cluster-harness time per area")
    for line in clock.lines(parallel=parallel):
        terminalreporter.write_line(line)
