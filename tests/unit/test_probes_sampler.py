"""The prober on a real clock, with short durations: bounds, schedule, no drift after slow samples."""

from __future__ import annotations

import threading
import time
from itertools import pairwise

import pytest

from harness.chaos.model import Observation
from harness.errors import HarnessError
from harness.probes import Prober, call_once


def test_stops_by_itself_at_max_duration() -> None:
    prober = Prober(lambda: None, rate_hz=50, max_duration_s=0.3).start()
    samples = prober.wait(2.0)
    assert not prober.running
    assert 10 <= len(samples) <= 16
    gaps = [b.time - a.time for a, b in pairwise(samples)]
    assert max(gaps) < 0.05


def test_stops_by_itself_at_max_samples() -> None:
    samples = Prober(lambda: None, rate_hz=100, max_duration_s=5, max_samples=5).start().wait(2.0)
    assert len(samples) == 5


def test_slow_sample_skips_to_the_next_tick_without_drift() -> None:
    calls = []

    def operation() -> None:
        calls.append(time.monotonic())
        if len(calls) == 3:
            time.sleep(0.125)  # overruns 2.5 ticks of 50 ms

    t0 = time.monotonic()
    Prober(operation, rate_hz=20, max_duration_s=0.5).start().wait(2.0)
    offsets = [(c - t0) / 0.05 for c in calls]
    # Still on the grid: no call early, and lateness does not accumulate (a busy machine may
    # delay one wake-up by more than a few ms, so single calls are judged loosely).
    lateness = sorted(o - round(o) for o in offsets)
    assert lateness[0] > -0.2 and lateness[len(lateness) // 2] < 0.3, offsets
    assert round(offsets[3]) == 5  # ticks 3 and 4 were skipped, not queued


def test_in_flight_samples_keep_the_schedule_during_hangs() -> None:
    release = threading.Event()

    def operation() -> None:
        if not release.is_set():
            release.wait(0.2)
            raise TimeoutError("hung")

    prober = Prober(operation, rate_hz=20, max_duration_s=0.4, max_in_flight=4).start()
    time.sleep(0.15)
    release.set()
    samples = prober.wait(2.0)
    assert any(s.ok for s in samples)
    assert samples[0].error == "TimeoutError: hung"
    assert len(samples) >= 6  # a sequential prober would have managed about 2


def test_default_in_flight_sees_a_recovery_within_one_period() -> None:
    """A failover is measured to its end: samples hanging until their timeout must not hold
    back the tick that first sees the service answer again."""
    observation = Observation(rate_hz=20, timeout_s=0.2, duration_s=1.0)
    assert observation.in_flight == 5  # 0.2 s x 20 Hz + 1
    recovers_at = time.time() + 0.43

    def operation() -> None:
        if time.time() < recovers_at:
            time.sleep(0.2)
            raise TimeoutError("no answer")

    samples = Prober(operation, rate_hz=20, max_duration_s=1.0,
                     max_in_flight=observation.in_flight).start().wait(3.0)
    first_ok = next(s for s in samples if s.ok)
    assert 0 <= first_ok.time - recovers_at <= 0.05 + 0.03, first_ok.time - recovers_at


def test_stop_returns_samples_so_far() -> None:
    prober = Prober(lambda: None, rate_hz=20, max_duration_s=30).start()
    time.sleep(0.12)
    samples = prober.stop()
    assert 2 <= len(samples) <= 4
    assert not prober.running


def test_call_once_records_errors_and_values() -> None:
    def fail() -> None:
        raise ConnectionError("refused")

    bad = call_once(fail)
    assert (bad.ok, bad.error) == (False, "ConnectionError: refused")
    assert call_once(lambda: "cp2").value == "cp2"


def test_bad_settings_are_refused() -> None:
    with pytest.raises(HarnessError):
        Prober(lambda: None, rate_hz=0)
