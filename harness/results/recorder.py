"""Record rows of one run from any process: one append-only JSON-lines file per process.

Every pytest process (the controller, or each xdist worker) appends to its own file under
`<runs_dir>/.partial/<run_id>/`, one line per row, flushed as written: a process killed
mid-run loses at most the line it was writing. `store.merge_run` turns the files into one run file.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict
from pathlib import Path
from typing import Any

from harness.results.records import Measurement, Outcome, Timeline
from harness.results.writer import this_writer


def partial_dir(runs_dir: Path, run_id: str) -> Path:
    return runs_dir / ".partial" / run_id


class RunRecorder:
    """Appends rows of one run for one process. Thread-safe: probes record from threads."""

    def __init__(self, runs_dir: Path, run_id: str, process: str) -> None:
        self.run_id = run_id
        directory = partial_dir(runs_dir, run_id)
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"{process}.jsonl"
        self._lock = threading.Lock()
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        # First line: who writes this file. Recovery waits until every writer of a run is gone,
        # so an xdist worker that outlives a killed controller loses no row.
        self._append("writer", asdict(this_writer()))

    def measurement(self, row: Measurement) -> None:
        self._append("measurement", asdict(row))

    def outcome(self, row: Outcome) -> None:
        self._append("outcome", asdict(row))

    def timeline(self, row: Timeline) -> None:
        self._append("timeline", asdict(row))

    def components(self, versions: dict[str, str]) -> None:
        """Versions of cluster components the target knows (etcd, Talos, Cilium, Ceph, ...)."""
        self._append("components", dict(versions))

    def _append(self, kind: str, row: dict[str, Any]) -> None:
        line = json.dumps({"type": kind, **row}, separators=(",", ":"), default=str) + "\n"
        data = line.encode()
        with self._lock:
            while data:
                data = data[os.write(self._fd, data) :]

    def close(self) -> None:
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1
