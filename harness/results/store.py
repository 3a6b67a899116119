"""Run files on disk: written atomically, merged from per-process rows, read with a version check."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.results.recorder import partial_dir
from harness.results.records import (
    FORMAT_NAME,
    FORMAT_VERSION,
    OLDEST_READABLE_VERSION,
    RunMeta,
    Writer,
)
from harness.results.schema import describe, shape_problems


class RunFileError(HarnessError):
    """A run file that cannot be read: damaged, foreign, or written by a newer harness."""


def run_file_path(runs_dir: Path, run_id: str) -> Path:
    return runs_dir / f"run-{run_id}.json"


def write_json_atomically(path: Path, document: dict[str, Any]) -> None:
    """Temp file in the same directory + fsync + rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(document, stream, separators=(",", ":"), default=str)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def document_of(meta: RunMeta, rows: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "run": asdict(meta),
        "outcomes": rows["outcome"],
        "measurements": rows["measurement"],
        "timelines": rows["timeline"],
    }


def start_run(runs_dir: Path, meta: RunMeta) -> Path:
    """Write the run file before any test runs, so a run killed outright still leaves a trace.

    Its partial directory exists from now until the merge: recovery looks for `running` runs
    there and nowhere else.
    """
    path = run_file_path(runs_dir, meta.id)
    write_json_atomically(path, document_of(meta, _empty_rows()))
    partial_dir(runs_dir, meta.id).mkdir(parents=True, exist_ok=True)
    return path


def merge_run(runs_dir: Path, meta: RunMeta) -> Path:
    """Fold every process's rows into the run file, then drop the partial files."""
    directory = partial_dir(runs_dir, meta.id)
    partial = read_partial(directory)
    meta.components.update(partial.components)
    path = run_file_path(runs_dir, meta.id)
    write_json_atomically(path, document_of(meta, partial.rows))
    drop_partial(directory)
    return path


@dataclass
class Partial:
    """What the processes of a run appended: rows by kind, component versions, and the writer
    each file names on its first line."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: _empty_rows())
    components: dict[str, str] = field(default_factory=dict)
    writers: list[Writer] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(rows) for rows in self.rows.values())


def read_partial(directory: Path) -> Partial:
    found = Partial()
    for part in sorted(directory.glob("*.jsonl")):
        for row in _read_lines(part):
            kind = row.pop("type", None)
            if kind == "components":
                found.components.update({str(k): str(v) for k, v in row.items()})
            elif kind == "writer":
                with contextlib.suppress(TypeError):
                    found.writers.append(Writer(**row))
            elif kind in found.rows:
                found.rows[kind].append(row)
    return found


def drop_partial(directory: Path) -> None:
    shutil.rmtree(directory, ignore_errors=True)
    _remove_if_empty(directory.parent)


def _read_lines(part: Path) -> list[dict[str, Any]]:
    rows = []
    for line in part.read_text(encoding="utf-8").splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # the last line of a process killed while writing it
    return rows


def _empty_rows() -> dict[str, list[dict[str, Any]]]:
    return {"outcome": [], "measurement": [], "timeline": []}


def _remove_if_empty(directory: Path) -> None:
    with contextlib.suppress(OSError):
        directory.rmdir()


def read_run_file(path: Path) -> dict[str, Any]:
    """Parse one run file, refusing files this harness cannot understand."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as error:  # ValueError: bad JSON or UTF-8
        raise RunFileError(f"run file {path} cannot be read: {_reason(error)}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT_NAME:
        raise RunFileError(f"{path} is not a cluster-harness run file")
    version = document.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version > FORMAT_VERSION:
        raise RunFileError(
            f"run file {path} has format version {version}, newer than this harness reads "
            f"({FORMAT_VERSION}): upgrade cluster-harness to read it, or move the file out of "
            f"the runs directory."
        )
    if version < OLDEST_READABLE_VERSION:
        raise RunFileError(f"run file {path} has format version {version}, which no cluster-harness "
                           "wrote: move the file out of the runs directory.")
    problems = shape_problems(document)
    if problems:
        raise RunFileError(f"run file {path} is damaged: {describe(problems)}; repair it or move it "
                           "out of the runs directory")
    return document


def _reason(error: BaseException) -> str:
    if isinstance(error, OSError):
        return error.strerror or str(error)
    if isinstance(error, RecursionError):
        return "nested too deeply"
    return " ".join(str(error).split())[:200]


def run_files(runs_dir: Path) -> list[Path]:
    return sorted(runs_dir.glob("run-*.json"))
