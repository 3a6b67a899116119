"""The API load driver on fake clients with known latencies and failures: per-verb figures,
bounded in cycles, time and errors, and no object left behind by a failed read."""

from __future__ import annotations

import threading
import time

import pytest

from harness.workloads import apiload
from harness.workloads.apiload import percentile, run_load


class FakeVerbs:
    """Objects in a shared dict; each verb sleeps its latency; `fail_get` fails every read."""

    def __init__(self, store: dict[str, str], *, latency_s: dict[str, float] | None = None,
                 fail_get: bool = False) -> None:
        self.store, self.latency_s, self.fail_get = store, latency_s or {}, fail_get
        self.lock = threading.Lock()

    def _wait(self, verb: str) -> None:
        time.sleep(self.latency_s.get(verb, 0.0))

    def create(self, name: str) -> None:
        self._wait("create")
        with self.lock:
            if name in self.store:
                raise RuntimeError(f"{name} exists")
            self.store[name] = name

    def get(self, name: str) -> None:
        self._wait("get")
        if self.fail_get:
            raise TimeoutError("read timed out")

    def list(self) -> None:
        self._wait("list")

    def delete(self, name: str) -> None:
        self._wait("delete")
        with self.lock:
            del self.store[name]


def test_each_verb_is_timed_and_every_object_is_deleted() -> None:
    store: dict[str, str] = {}
    latency = {"create": 0.02, "get": 0.001, "list": 0.01, "delete": 0.005}
    result = run_load([FakeVerbs(store, latency_s=latency) for _ in range(4)], prefix="t",
                      duration_s=5.0, max_cycles=10)
    assert store == {}
    assert result.clients == 4 and result.errors == 0
    assert [v.calls for v in result.verbs] == [40, 40, 40, 40]  # bounded by cycles, not time
    create, get = result.verb("create"), result.verb("get")
    assert create.p50_ms == pytest.approx(20, abs=15) and get.p50_ms is not None and get.p50_ms < 10
    assert result.verb("list").p99_ms is not None and result.verb("list").p99_ms >= 10
    assert result.calls_per_s > 0


def test_a_failed_read_is_an_error_and_its_object_still_goes() -> None:
    store: dict[str, str] = {}
    result = run_load([FakeVerbs(store, fail_get=True)], prefix="t", duration_s=5.0, max_cycles=5)
    get = result.verb("get")
    assert (get.calls, get.errors, get.p99_ms) == (5, 5, None)
    assert get.first_error == "TimeoutError: read timed out"
    assert result.verb("delete").errors == 0 and store == {}


def test_the_load_stops_at_its_deadline() -> None:
    began = time.monotonic()
    result = run_load([FakeVerbs({}, latency_s={"create": 0.05})], prefix="t", duration_s=0.3,
                      max_cycles=10_000)
    assert time.monotonic() - began < 2.0
    assert 2 <= result.verb("create").calls <= 10


def test_a_load_of_errors_stops_early(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(apiload, "MAX_ERRORS", 7)
    result = run_load([FakeVerbs({}, fail_get=True)], prefix="t", duration_s=30.0, max_cycles=10_000)
    assert result.errors == 7


def test_percentiles_interpolate_like_numpy() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == pytest.approx(50.5)
    assert percentile(values, 99) == pytest.approx(99.01)
    assert percentile([3.0], 99) == 3.0 and percentile([], 50) is None
