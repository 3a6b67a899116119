"""Runs whose writers died without a word (SIGKILL, the OOM killer, a closed lid): found, marked
`crashed`, and their partial rows merged into the run file.

Every `running` run has `.partial/<run-id>/` from `start_run` until its merge, so only those run
files are read. A run is recovered when its controller (the run's `writer`) and every process
that appended rows (each partial file names its writer on its first line) are gone; a run with no
recorded writer, or one written on another host, is never judged. `harness runs`, `harness
report` and each new pytest session call `recover_crashed` first.

Once and idempotent: under an exclusive flock on the `.partial` directory each run file is re-read
and merged only while still `running`, so two processes recovering at once merge a run once (the
second finds it `crashed`). The run file is replaced atomically before the partial rows are
removed: a recovery killed midway leaves the run `running` for the next one, and one killed after
the replace leaves rows that the next one removes unread.
"""

from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.results.records import Writer, utc_now_iso
from harness.results.store import (
    RunFileError,
    drop_partial,
    read_partial,
    read_run_file,
    run_file_path,
    write_json_atomically,
)
from harness.results.writer import this_writer, writer_gone


@dataclass(frozen=True)
class Recovered:
    run_id: str
    path: Path
    writer: Writer
    rows: int

    def sentence(self) -> str:
        return (f"run {self.run_id} was left running by pid {self.writer.pid} on "
                f"{self.writer.host}, which is gone: marked crashed, {self.rows} recorded rows merged")


def recover_crashed(runs_dir: Path, *, here: Writer | None = None) -> list[Recovered]:
    """Recover every run of `runs_dir` whose writers are gone; [] when there is none (or the
    directory cannot be locked, e.g. another user's reports: they are listed as they are)."""
    root = runs_dir / ".partial"
    try:
        handle = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return []
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        me = here or this_writer()
        try:  # listed under the lock: a run merged meanwhile is no longer there
            directories = sorted(d for d in root.iterdir() if d.is_dir())
        except OSError:
            return []
        return [found for d in directories if (found := _recover(runs_dir, d, me)) is not None]
    finally:
        os.close(handle)  # releases the lock


def _recover(runs_dir: Path, directory: Path, me: Writer) -> Recovered | None:
    path = run_file_path(runs_dir, directory.name)
    if not path.is_file():
        return None  # rows of a run file someone removed: not ours to judge
    try:
        document = read_run_file(path)
    except RunFileError:
        return None  # `harness runs` names the damage
    run = document["run"]
    if run["status"] != "running":
        drop_partial(directory)  # merged already; only the removal of its rows was cut short
        return None
    writer = _writer(run.get("writer"))
    if writer is None:
        return None  # written by a harness that recorded no writer: cannot tell if it lives
    partial = read_partial(directory)
    if not all(writer_gone(w, here=me) for w in [writer, *partial.writers]):
        return None
    for kind, key in (("outcome", "outcomes"), ("measurement", "measurements"),
                      ("timeline", "timelines")):
        document[key] = [*document[key], *partial.rows[kind]]
    run["components"] = {**run.get("components", {}), **partial.components}
    run["status"] = "crashed"
    run["recovered"] = utc_now_iso()
    try:
        write_json_atomically(path, document)
    except OSError:
        return None  # a runs dir we may read but not write (or a full disk): listed as it is
    drop_partial(directory)
    for temp in runs_dir.glob(f".{path.name}.*"):  # the dead writer's own merge, cut short
        temp.unlink(missing_ok=True)
    return Recovered(run["id"], path, writer, partial.count)


def _writer(data: Any) -> Writer | None:
    if not isinstance(data, dict):
        return None
    try:
        return Writer(**data)
    except TypeError:  # fields a newer harness added: judge by the ones known here
        known = {k: data[k] for k in ("host", "pid", "boot_id", "start_ticks") if k in data}
        return Writer(**known) if "host" in known and "pid" in known else None
