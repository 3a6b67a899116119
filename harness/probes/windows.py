"""Pure derivations from a list of samples: unavailability windows and availability figures.

Definitions (samples are taken in start-time order):

- An **unavailability window** starts at the start time of a failed sample that follows an ok
  sample (or opens the timeline) and ends at the first instant an answer came back: the earliest
  completion (start + latency) among the ok samples that follow the failed ones. Its duration is
  `end - start`. The end is the completion, not the start, of an ok call because a call can
  stall and then succeed: while etcd elects a leader, a write sent 0.4 s before the election
  waits and returns just after it, inside a 0.5 s timeout; its start time would end the
  outage up to one timeout early. The real outage began somewhere in the period before the
  first failed sample, and ended at most one return trip before the answer, so a duration
  carries an error of about one period (50 ms at 20 Hz). When a stalled answer completes after
  a later call has already failed, the two windows are one. A single failed sample among fast
  calls makes a window of about one period.
- A window that never sees an ok sample again is **open** (`recovered` is False): it ends at
  the last sample's start time, so its duration is a lower bound.
- **Availability %** is time-based: 100 * (1 - time inside windows / observed time), where the
  observed time runs from the first sample to the last. Time-based rather than a count of ok
  samples, because failed samples can last longer (timeouts) and would be under-counted.
- **Time to first failure** is from the fault instant to the first failed sample at or after it.
  **Time to recovery** is from the fault instant to the end of the last window that was still
  open at the fault or started after it; 0 when the operation never failed, None when it never
  recovered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from harness import metrics
from harness.probes.sampler import Sample


@dataclass(frozen=True)
class Window:
    start: float
    end: float
    failed_samples: int
    recovered: bool
    first_error: str | None = None

    @property
    def duration_s(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Availability:
    """Everything derived from one timeline; None where a figure cannot be measured."""

    samples: int
    failed_samples: int
    windows: tuple[Window, ...]
    longest_unavailable_s: float
    availability_pct: float | None
    time_to_first_failure_s: float | None
    time_to_recovery_s: float | None

    @property
    def recovered(self) -> bool:
        return all(w.recovered for w in self.windows)

    def figures(self) -> dict[str, float | None]:
        """Every figure under its catalogue name (`harness.metrics`), as the run file stores it."""
        return {
            metrics.LONGEST_UNAVAILABLE.name: self.longest_unavailable_s,
            metrics.AVAILABILITY_PCT.name: self.availability_pct,
            metrics.TIME_TO_FIRST_FAILURE.name: self.time_to_first_failure_s,
            metrics.TIME_TO_RECOVERY.name: self.time_to_recovery_s,
            metrics.WINDOWS.name: float(len(self.windows)),
            metrics.SAMPLES.name: float(self.samples),
            metrics.FAILED_SAMPLES.name: float(self.failed_samples),
            metrics.RECOVERED.name: 1.0 if self.recovered else 0.0,
        }


def _ordered(samples: Sequence[Sample]) -> list[Sample]:
    return sorted(samples, key=lambda s: s.time)


def _completed(sample: Sample) -> float:
    return sample.time + sample.latency_s


def unavailability_windows(samples: Sequence[Sample]) -> list[Window]:
    ordered = _ordered(samples)
    windows: list[Window] = []
    index = 0
    while index < len(ordered):
        if ordered[index].ok:
            index += 1
            continue
        first, failed = ordered[index], 0
        while index < len(ordered) and not ordered[index].ok:
            failed, index = failed + 1, index + 1
        if index == len(ordered):
            windows.append(Window(first.time, ordered[-1].time, failed, False, first.error))
            break
        answers = index  # the run of ok calls that closes the window
        while index < len(ordered) and ordered[index].ok:
            index += 1
        end = min(_completed(s) for s in ordered[answers:index])
        previous = windows[-1] if windows else None
        if previous is not None and first.time <= previous.end:  # a stalled answer overlapped it
            windows[-1] = Window(previous.start, end, previous.failed_samples + failed, True,
                                 previous.first_error)
        else:
            windows.append(Window(first.time, end, failed, True, first.error))
    return windows


def longest_window(windows: Sequence[Window]) -> Window | None:
    return max(windows, key=lambda w: w.duration_s, default=None)


def availability_pct(samples: Sequence[Sample]) -> float | None:
    if not samples:
        return None
    ordered = _ordered(samples)
    observed = ordered[-1].time - ordered[0].time
    if observed <= 0:  # one sample (or all at once): fall back to counting
        return 100.0 * sum(s.ok for s in ordered) / len(ordered)
    down = sum(w.duration_s for w in unavailability_windows(ordered))
    return max(0.0, 100.0 * (1.0 - down / observed))


def time_to_first_failure(samples: Sequence[Sample], fault_at: float) -> float | None:
    first = next((s for s in _ordered(samples) if not s.ok and s.time >= fault_at), None)
    return None if first is None else first.time - fault_at


def time_to_recovery(samples: Sequence[Sample], fault_at: float) -> float | None:
    relevant = [w for w in unavailability_windows(samples) if w.end >= fault_at or not w.recovered]
    if not relevant:
        return 0.0
    last = relevant[-1]
    return last.end - fault_at if last.recovered else None


def summarize(samples: Sequence[Sample], *, fault_at: float | None = None) -> Availability:
    windows = unavailability_windows(samples)
    longest = longest_window(windows)
    return Availability(
        samples=len(samples),
        failed_samples=sum(not s.ok for s in samples),
        windows=tuple(windows),
        longest_unavailable_s=0.0 if longest is None else longest.duration_s,
        availability_pct=availability_pct(samples),
        time_to_first_failure_s=None if fault_at is None else time_to_first_failure(samples, fault_at),
        time_to_recovery_s=None if fault_at is None else time_to_recovery(samples, fault_at),
    )


def value_changes(samples: Sequence[Sample]) -> int:
    """How often the reported value changed between successive non-empty values (VIP moves)."""
    values = [s.value for s in _ordered(samples) if s.ok and s.value]
    return sum(a != b for a, b in pairwise(values))
