"""Window derivations on synthetic timelines with known outages."""

from __future__ import annotations

import pytest

from harness.probes import (
    Sample,
    availability_pct,
    summarize,
    time_to_first_failure,
    time_to_recovery,
    unavailability_windows,
    value_changes,
)


def timeline(pattern: str, *, period: float = 0.1, t0: float = 1000.0) -> list[Sample]:
    """'..xx.' -> ok, ok, failed, failed, ok at t0, t0+period, ..."""
    return [Sample(t0 + i * period, c == ".", 0.0, None if c == "." else "refused")
            for i, c in enumerate(pattern)]


def test_one_outage_runs_from_first_failure_to_first_success() -> None:
    [window] = unavailability_windows(timeline("...xxx...."))
    assert window.start == pytest.approx(1000.3)
    assert window.end == pytest.approx(1000.6)
    assert window.duration_s == pytest.approx(0.3)
    assert window.failed_samples == 3
    assert window.recovered
    assert window.first_error == "refused"


def test_longest_of_several_windows_and_time_based_availability() -> None:
    samples = timeline("..x...xxxx.")  # observed 1.0 s, down 0.1 + 0.4 s
    summary = summarize(samples, fault_at=1000.15)
    assert [round(w.duration_s, 3) for w in summary.windows] == [0.1, 0.4]
    assert summary.longest_unavailable_s == pytest.approx(0.4)
    assert summary.availability_pct == pytest.approx(50.0)
    assert summary.time_to_first_failure_s == pytest.approx(0.05)
    assert summary.time_to_recovery_s == pytest.approx(0.85)
    assert summary.failed_samples == 5


def test_failure_at_start_opens_a_window_at_the_first_sample() -> None:
    [window] = unavailability_windows(timeline("xx..."))
    assert window.start == pytest.approx(1000.0)
    assert window.duration_s == pytest.approx(0.2)


def test_never_recovered_is_an_open_window_and_no_recovery_time() -> None:
    samples = timeline("..xxx")
    [window] = unavailability_windows(samples)
    assert not window.recovered
    assert window.duration_s == pytest.approx(0.2)  # a lower bound: up to the last sample
    assert time_to_recovery(samples, 1000.15) is None
    assert not summarize(samples).recovered


def test_empty_timeline() -> None:
    summary = summarize([], fault_at=5.0)
    assert summary.windows == ()
    assert summary.longest_unavailable_s == 0.0
    assert summary.availability_pct is None
    assert summary.time_to_first_failure_s is None
    assert summary.time_to_recovery_s == 0.0


def test_never_failed() -> None:
    samples = timeline(".....")
    assert availability_pct(samples) == 100.0
    assert time_to_first_failure(samples, 1000.0) is None
    assert time_to_recovery(samples, 1000.0) == 0.0


def test_single_sample_falls_back_to_counting() -> None:
    assert availability_pct(timeline("x")) == 0.0
    assert availability_pct(timeline(".")) == 100.0


def test_failures_before_the_fault_do_not_count_for_recovery() -> None:
    samples = timeline("x.....xx..")
    assert time_to_recovery(samples, 1000.5) == pytest.approx(0.3)
    assert time_to_first_failure(samples, 1000.5) == pytest.approx(0.1)


def test_order_of_input_does_not_matter() -> None:
    samples = timeline("..xx..")
    assert unavailability_windows(list(reversed(samples))) == unavailability_windows(samples)


def test_value_changes_ignore_gaps() -> None:
    values = ["cp1", "cp1", None, "cp2", "cp2", "cp1"]
    samples = [Sample(float(i), v is not None, 0.0, None, v) for i, v in enumerate(values)]
    assert value_changes(samples) == 2


def stalled_election(*, outage_s: float, timeout_s: float = 0.5, period: float = 0.05,
                     kill: float = 1000.0) -> list[Sample]:
    """Writes at 20 Hz while etcd has no leader from `kill` until `kill + outage_s`: a call in
    flight then waits for the new leader, and fails only when that takes longer than its timeout."""
    elected = kill + outage_s
    samples = []
    for i in range(int((outage_s + 2.0) / period)):
        start = kill - 1.0 + i * period
        answered = max(start, elected) + 0.005 if start + 0.005 > kill else start + 0.005
        if answered - start <= timeout_s:
            samples.append(Sample(start, True, answered - start))
        else:
            samples.append(Sample(start, False, timeout_s, "TimeoutError: timed out"))
    return samples


@pytest.mark.parametrize("outage_s", [0.8, 1.29, 1.91, 3.0])
def test_a_stalled_call_that_succeeds_ends_the_outage_when_it_answers(outage_s: float) -> None:
    # Ending at the start of the first ok call would be up to one timeout (0.5 s) early.
    summary = summarize(stalled_election(outage_s=outage_s), fault_at=1000.0)
    [window] = summary.windows
    assert window.end == pytest.approx(1000.0 + outage_s + 0.005)
    assert summary.longest_unavailable_s == pytest.approx(outage_s, abs=0.06)
    assert summary.time_to_recovery_s == pytest.approx(outage_s + 0.005)


def test_an_outage_shorter_than_the_timeout_is_latency_not_unavailability() -> None:
    summary = summarize(stalled_election(outage_s=0.3), fault_at=1000.0)
    assert summary.windows == ()
    assert max(s.latency_s for s in stalled_election(outage_s=0.3)) == pytest.approx(0.305)


def test_a_stalled_answer_that_outlives_a_later_failure_merges_the_windows() -> None:
    samples = [Sample(1.0, True, 0.001), Sample(1.1, False, 0.5, "timeout"),
               Sample(1.2, True, 0.45),  # stalls, answers at 1.65
               Sample(1.3, False, 0.001, "refused"),  # yet the service refused at 1.3
               Sample(1.4, True, 0.01), Sample(1.5, True, 0.001)]
    [window] = unavailability_windows(samples)
    assert (window.start, window.end) == (pytest.approx(1.1), pytest.approx(1.41))
    assert window.failed_samples == 2
