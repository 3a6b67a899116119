"""Fixtures suites use: the profile, the target, and recording into the run file."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest

from harness.metrics import MetricSpec
from harness.plugin.state import HarnessSession, harness_session
from harness.profile import Profile
from harness.results import EventRecord, EventsTimeline, Measurement, RunRecorder, Timeline
from harness.targets.base import Target


def _state(request: pytest.FixtureRequest) -> HarnessSession:
    state = harness_session(request.config)
    if state is None:
        raise pytest.UsageError(
            "cluster-harness fixtures need an active run: run tests under suites/ or scenarios/, "
            "or pass --profile/--target")
    return state


@pytest.fixture(scope="session")
def profile(request: pytest.FixtureRequest) -> Profile:
    """The validated cluster profile of this run."""
    return _state(request).profile


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest) -> Target:
    """The cluster under test (prepared by the controlling pytest process)."""
    return _state(request).target


class Measure:
    """Records one measurement of the current test into the run file."""

    def __init__(self, recorder: RunRecorder, nodeid: str) -> None:
        self._recorder = recorder
        self._nodeid = nodeid
        self.recorded: list[Measurement] = []

    def __call__(self, metric: str, value: float, unit: str, *, higher_is_better: bool,
                 ceiling: float | None = None, samples: Sequence[float] = (), **tags: Any) -> Measurement:
        """`samples`: the repeated runs `value` summarises, kept in the run file for their spread."""
        row = Measurement(metric=metric, value=float(value), unit=unit,
                          higher_is_better=higher_is_better, ceiling=ceiling,
                          tags={key: str(tag) for key, tag in tags.items()}, nodeid=self._nodeid,
                          samples=tuple(float(v) for v in samples))
        self._recorder.measurement(row)
        self.recorded.append(row)
        return row

    def figure(self, spec: MetricSpec, value: float, *, ceiling: float | None = None,
               samples: Sequence[float] = (), **tags: Any) -> Measurement:
        """A catalogued figure (`harness.metrics`): its name, unit and direction come from there."""
        return self(spec.name, value, spec.unit, higher_is_better=spec.higher_is_better,
                    ceiling=ceiling, samples=samples, **tags)


@pytest.fixture
def measure(request: pytest.FixtureRequest) -> Measure:
    """`measure("api.roundtrip.p99", 4.2, "ms", higher_is_better=False, ceiling=None, node="cp1")`."""
    return Measure(_state(request).recorder, request.node.nodeid)


@pytest.fixture
def record_timeline(request: pytest.FixtureRequest) -> Callable[[str, str, dict[str, Any]], None]:
    """`record_timeline(name, kind, data)`: free-form series (probe samples, fault instants)."""
    recorder = _state(request).recorder
    nodeid = request.node.nodeid

    def record(name: str, kind: str, data: dict[str, Any]) -> None:
        recorder.timeline(Timeline(name=name, kind=kind, data=data, nodeid=nodeid))

    return record


@pytest.fixture(scope="session")
def record_components(request: pytest.FixtureRequest) -> Callable[[dict[str, str]], None]:
    """`record_components({"s3-benchmark": "warp 1.6.1"})`: the tools a test ran, with their
    versions, beside the target's in the run file's `components`."""
    return _state(request).recorder.components


@pytest.fixture(autouse=True)
def _record_target_events(request: pytest.FixtureRequest) -> Iterator[None]:
    """Put what the target stamped during a test (faults, VIP moves) on the test's timeline."""
    state = harness_session(request.config)
    if state is None or "target" not in request.fixturenames:
        yield
        return
    began = time.time()
    yield
    events = state.target.events.since(began)
    if events:
        stamped = tuple(EventRecord(e.time, e.kind, e.node, e.detail) for e in events)
        state.recorder.timeline(EventsTimeline("target", stamped, nodeid=request.node.nodeid).to_row())
