"""Per-test behaviour: skip by marker, serialise disruptive and benchmark tests, record outcomes."""

from __future__ import annotations

import fcntl
from collections.abc import Generator

import pytest

from harness.plugin.depth import session_depth
from harness.plugin.options import DISRUPTION_FLAG
from harness.plugin.state import HarnessSession, harness_session
from harness.results import Outcome
from harness.results.records import OutcomeKind

SERIAL_MARKERS = ("disruptive", "benchmark")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    allow = bool(config.getoption("allow_disruption"))
    state = harness_session(config)
    if state is not None and session_depth(config).name == "quick":
        # The acceptance run leaves the full-depth-only benchmarks out, not skipped: they are
        # no part of its verdict, and a skip per instance would only be noise.
        deep = [item for item in items if item.get_closest_marker("full_depth")]
        if deep:
            items[:] = [item for item in items if not item.get_closest_marker("full_depth")]
            config.hook.pytest_deselected(items=deep)
    for item in items:
        if item.get_closest_marker("disruptive") and not allow:
            item.add_marker(pytest.mark.skip(
                reason=f"disruptive: breaks part of the cluster; pass {DISRUPTION_FLAG} to run it"))
        marker = item.get_closest_marker("target")
        if marker and state is not None and state.target_name not in marker.args:
            item.add_marker(pytest.mark.skip(
                reason=f"only for target {', '.join(marker.args)}; this run uses {state.target_name}"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, object, object]:
    """Hold a machine-wide lock around disruptive and benchmark tests.

    A file lock rather than `xdist_group`: it holds for every `--dist` mode, across xdist
    workers and across concurrent pytest sessions on the same machine.
    """
    state = harness_session(item.config)
    if state is None or not any(item.get_closest_marker(m) for m in SERIAL_MARKERS):
        return (yield)
    with state.lock_path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            return (yield)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


class OutcomeRecorder:
    """Registered on the controller only: under xdist it sees every worker's reports."""

    def __init__(self, session: HarnessSession) -> None:
        self.session = session

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        outcome = _outcome_of(report)
        if outcome is None:
            return
        node = getattr(report, "node", None)
        self.session.recorder.outcome(Outcome(
            nodeid=report.nodeid,
            outcome=outcome,
            duration_s=round(report.duration, 6),
            message=None if outcome == "passed" else _message(report),
            worker=str(node.gateway.id) if node is not None else None,
        ))


def _outcome_of(report: pytest.TestReport) -> OutcomeKind | None:
    if hasattr(report, "wasxfail"):
        return "xfailed" if report.skipped else ("xpassed" if report.when == "call" else None)
    if report.when == "call":
        return "passed" if report.passed else ("skipped" if report.skipped else "failed")
    if report.failed:
        return "error"
    if report.skipped and report.when == "setup":
        return "skipped"
    return None


def _message(report: pytest.TestReport) -> str:
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2])
    return report.longreprtext.strip()[-2000:]
