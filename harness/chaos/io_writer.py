"""The `storage.rbd_write` observation: fio writes to a fresh RBD image around the method.

Real I/O, not a probe's guess: fio's rbd engine (librbd, from the target's storage client) writes
4 MiB blocks at a capped rate, `iodepth` at a time, and logs every completion with its epoch time
and latency. Each completed I/O becomes one sample (started = completion - latency), so the
stall (no I/O completing) and the latency spike are read from the timeline afterwards
(`harness.chaos.io_metrics`). Bounded: the image's size caps the data, `duration_s` the time.
The image is removed by `close()`, after the rollbacks: removing it while PGs are inactive would
hang, and the rollbacks must not wait for that.
"""

from __future__ import annotations

import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from harness.chaos.model import Observation
from harness.probes import Sample
from harness.targets.base import Target
from harness.targets.storage import FioRun
from harness.workloads.fio import FioJob

IMAGE_GIB = 1.0  # x3 replicas: 3 GiB at most, overwritten in place
BLOCK = "4M"
IODEPTH = 8
RATE_MIB_S = 40  # well under the ~100 MiB/s the lab's links allow: the stall shows, not saturation


class RbdWriter:
    """Quacks like `Prober` for the observer: start, wait, stop, started_at."""

    def __init__(self, observation: Observation, *, name: str, target: Target) -> None:
        self.observation, self.name, self.target = observation, name, target
        self.started_at: float | None = None
        self.ended_at: float | None = None
        self._resources = ExitStack()
        self._run: FioRun | None = None

    def start(self) -> None:
        storage = self.target.storage
        volume = self._resources.enter_context(storage.block_volume(IMAGE_GIB))
        folder = Path(self._resources.enter_context(tempfile.TemporaryDirectory(prefix="rbd-write-")))
        job = FioJob(f"chaos-{self.name}", "write", BLOCK, iodepth=IODEPTH,
                     runtime_s=max(1, round(self.observation.duration_s)), size=f"{round(IMAGE_GIB * 1024)}M",
                     time_based=True, rate_mib_s=RATE_MIB_S, latency_log=str(folder / "io"))
        self.started_at = time.time()
        self._run = storage.start_fio(volume, job)

    def wait(self, timeout_s: float) -> list[Sample]:
        """Until fio ends at its runtime (stopped if overdue: I/O stuck past the end is a stall)."""
        if self._run is None:
            return []
        self._run.finish(timeout_s)
        return self._samples()

    def stop(self) -> list[Sample]:
        if self._run is None:
            return []
        self._run.stop()
        return self._samples()

    def close(self) -> None:
        """Remove the image and the log; after the rollbacks."""
        if self._run is not None:
            self._run.stop()
        self._resources.close()

    def _samples(self) -> list[Sample]:
        self.ended_at = self.ended_at or time.time()
        assert self._run is not None
        return [Sample(c.time - c.latency_s, True, c.latency_s, None, str(c.size))
                for c in self._run.completions()]
