"""The `storage.rbd_write` observation: fio writes to a fresh RBD image around the method.

Real I/O, not a probe's guess: fio's rbd engine (librbd, from the target's storage client) writes
4 MiB blocks at a capped rate, `iodepth` at a time, and logs every completion with its epoch time
and latency. Each completed I/O becomes one sample (started = completion - latency), so the
stall (no I/O completing) and the latency spike are read from the timeline afterwards
(`harness.chaos.io_metrics`). Bounded: the image's size caps the data, `duration_s` the time.
The image is removed by `close()`, after the rollbacks: removing it while PGs are inactive would
hang, and the rollbacks must not wait for that. The writer runs where the storage says no fault
of the scenario reaches (`Storage.writer_node`: the lab's client host; on a cluster, a node the
method does not disrupt), and a target that cannot log every I/O reports completions its own way
(the kubernetes target: fio's per-second reports).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Collection
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


def writer_job(name: str, duration_s: float, *, latency_log: str | None = None) -> FioJob:
    """The background writer's fio job: rate-capped 4 MiB writes for the observation."""
    return FioJob(f"chaos-{name}", "write", BLOCK, iodepth=IODEPTH,
                  runtime_s=max(1, round(duration_s)), size=f"{round(IMAGE_GIB * 1024)}M",
                  time_based=True, rate_mib_s=RATE_MIB_S, latency_log=latency_log)


class RbdWriter:
    """Quacks like `Prober` for the observer: start, wait, stop, started_at."""

    def __init__(self, observation: Observation, *, name: str, target: Target) -> None:
        self.observation, self.name, self.target = observation, name, target
        self.started_at: float | None = None
        self.ended_at: float | None = None
        self._resources = ExitStack()
        self._run: FioRun | None = None

    def start(self, *, disrupted: Collection[str] = ()) -> None:
        """`disrupted`: the nodes the method's faults are bound to; the writer runs elsewhere."""
        storage = self.target.storage
        node = storage.writer_node(avoid=disrupted)
        volume = self._resources.enter_context(storage.block_volume(IMAGE_GIB, on=node))
        folder = Path(self._resources.enter_context(tempfile.TemporaryDirectory(prefix="rbd-write-")))
        job = writer_job(self.name, self.observation.duration_s, latency_log=str(folder / "io"))
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
