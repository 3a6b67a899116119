"""Sample an operation at a fixed rate in a background thread, keeping every sample.

The schedule is a grid of ticks `t0 + k / rate_hz` on the monotonic clock. A sample that
overruns its tick (a timeout during an outage) never shifts the grid: the next sample starts at
the next free tick, so a slow sample costs the ticks it covered and nothing after. With
`max_in_flight > 1` a hanging sample does not even cost those: the tick starts a sample beside
it, which keeps the recovery instant as precise as the sample period.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from harness.errors import HarnessError


@dataclass(frozen=True)
class Sample:
    """One call of the operation."""

    time: float
    """When the call started, seconds since the epoch (comparable with `Event.time`)."""
    ok: bool
    latency_s: float
    error: str | None = None
    value: str | None = None
    """What the operation returned, as text, when it returns something (e.g. the VIP holder)."""


Operation = Callable[[], object]


def call_once(operation: Operation, *, clock: Callable[[], float] = time.time,
              monotonic: Callable[[], float] = time.monotonic) -> Sample:
    """Run the operation once; any exception is a failed sample, never an escape."""
    started, mono = clock(), monotonic()
    try:
        result = operation()
    except Exception as error:  # a failing endpoint is data here, not a crash
        return Sample(started, False, monotonic() - mono, f"{type(error).__name__}: {error}"[:300])
    return Sample(started, True, monotonic() - mono, None, None if result is None else str(result))


class Prober:
    """Samples `operation` at `rate_hz` until `max_duration_s` or `max_samples`, or `stop()`.

    `start()` returns at once; `stop()` (or leaving the `with` block) waits for samples in
    flight and returns them sorted by start time. The prober stops by itself at its bounds.
    """

    def __init__(self, operation: Operation, *, name: str = "probe", rate_hz: float = 20.0,
                 max_duration_s: float = 60.0, max_samples: int | None = None,
                 max_in_flight: int = 1) -> None:
        if rate_hz <= 0 or max_duration_s <= 0 or max_in_flight < 1:
            raise HarnessError(f"prober {name}: rate_hz, max_duration_s and max_in_flight must be > 0")
        self.name = name
        self.operation = operation
        self.period_s = 1.0 / rate_hz
        self.max_duration_s = max_duration_s
        # The sample bound defaults to what the duration allows, so both bounds always hold.
        self.max_samples = max_samples or math.ceil(max_duration_s * rate_hz) + 1
        self.max_in_flight = max_in_flight
        self.started_at: float | None = None
        self._samples: list[Sample] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._slots = threading.Semaphore(max_in_flight)
        self._thread: threading.Thread | None = None

    def start(self) -> Prober:
        if self._thread is not None:
            raise HarnessError(f"prober {self.name} already started")
        self.started_at = time.time()
        self._thread = threading.Thread(target=self._run, name=f"prober-{self.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 10.0) -> list[Sample]:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
        return self.samples()

    def wait(self, timeout_s: float | None = None) -> list[Sample]:
        """Block until the prober reaches one of its bounds (or `timeout_s`)."""
        if self._thread is not None:
            self._thread.join(timeout_s)
        return self.samples()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def samples(self) -> list[Sample]:
        with self._lock:
            return sorted(self._samples, key=lambda s: s.time)

    def __enter__(self) -> Prober:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def _record(self) -> None:
        try:
            sample = call_once(self.operation)
            with self._lock:
                self._samples.append(sample)
        finally:
            self._slots.release()

    def _acquire_slot(self, deadline: float) -> bool:
        while not self._slots.acquire(timeout=self.period_s):
            if self._stop.is_set() or time.monotonic() >= deadline:
                return False
        if self._stop.is_set() or time.monotonic() >= deadline:
            self._slots.release()
            return False
        return True

    def _run(self) -> None:
        period = self.period_s
        with ThreadPoolExecutor(self.max_in_flight, thread_name_prefix=f"probe-{self.name}") as pool:
            t0 = time.monotonic()
            deadline = t0 + self.max_duration_s
            tick = submitted = 0
            while submitted < self.max_samples:
                if self._stop.wait(max(0.0, t0 + tick * period - time.monotonic())):
                    return
                if not self._acquire_slot(deadline):
                    return
                late_s = time.monotonic() - (t0 + tick * period)
                if late_s > period / 2:
                    # A slow sample held the slot past its tick: realign on the grid, never drift.
                    tick = math.floor((time.monotonic() - t0) / period) + 1
                    waited = self._stop.wait(max(0.0, t0 + tick * period - time.monotonic()))
                    if waited or time.monotonic() >= deadline:
                        self._slots.release()
                        return
                pool.submit(self._record)
                submitted += 1
                tick += 1
