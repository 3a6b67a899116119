"""Timelines: sample an operation at a fixed rate, derive unavailability windows from the samples."""

from harness.probes.sampler import Operation, Prober, Sample, call_once
from harness.probes.windows import (
    Availability,
    Window,
    availability_pct,
    longest_window,
    summarize,
    time_to_first_failure,
    time_to_recovery,
    unavailability_windows,
    value_changes,
)

__all__ = ["Availability", "Operation", "Prober", "Sample", "Window", "availability_pct", "call_once",
           "longest_window", "summarize", "time_to_first_failure", "time_to_recovery",
           "unavailability_windows", "value_changes"]
