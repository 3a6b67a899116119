"""Who wrote a run and whether it is gone; recovery of runs whose writers are: once, idempotent,
never while a writer lives, and never twice when processes race (issue 17, part 1)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import pytest

from harness.results import RunMeta, Writer, new_run_id, read_run_file, recover_crashed, recovery, start_run
from harness.results.recorder import partial_dir
from harness.results.store import merge_run, run_file_path
from harness.results.writer import start_ticks, this_writer, writer_gone

HERE = this_writer()


def _dead_writer() -> Writer:
    """A writer whose process has exited (and been reaped)."""
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    return replace(HERE, pid=int(done.stdout), start_ticks=1)


def _stat(tmp_path: Path, pid: int, comm: str, state: str, ticks: int) -> Path:
    fields = [state, *["0"] * 18, str(ticks), "0"]
    (tmp_path / str(pid)).mkdir(parents=True, exist_ok=True)
    (tmp_path / str(pid) / "stat").write_text(f"{pid} ({comm}) {' '.join(fields)}\n")
    return tmp_path


def test_this_process_is_alive_and_named_fully() -> None:
    assert HERE.boot_id and HERE.start_ticks and HERE.host
    assert not writer_gone(HERE, here=HERE)


def test_a_dead_pid_a_recycled_pid_and_another_boot_are_gone() -> None:
    assert writer_gone(_dead_writer(), here=HERE)
    assert HERE.start_ticks is not None
    assert writer_gone(replace(HERE, start_ticks=HERE.start_ticks + 1), here=HERE)  # PID reused
    assert writer_gone(replace(HERE, boot_id="another-boot"), here=HERE)


def test_a_run_of_another_host_is_never_judged() -> None:
    assert not writer_gone(replace(_dead_writer(), host="elsewhere"), here=HERE)


def test_start_time_is_read_after_the_last_parenthesis_and_zombies_count_as_gone(tmp_path: Path) -> None:
    proc = _stat(tmp_path, 4242, "py (test) x", "S", 987654)
    assert start_ticks(4242, proc) == 987654
    _stat(tmp_path, 4242, "py", "Z", 987654)
    assert start_ticks(4242, proc) is None
    assert start_ticks(4243, proc) is None


def _killed_run(runs_dir: Path, *, controller: Writer, workers: dict[str, Writer],
                rows: int = 100) -> RunMeta:
    """A run file and partial rows as a session SIGKILLed mid-run leaves them."""
    meta = RunMeta(id=new_run_id(), target="lab://lab", profile="lab", harness_version="0.1.0",
                   started="2026-11-23T21:00:00+00:00", writer=controller)
    start_run(runs_dir, meta)
    for process, writer in workers.items():
        lines: list[dict[str, Any]] = [{"type": "writer", **asdict(writer)}]
        lines += [{"type": "measurement", "metric": "m", "value": float(i), "unit": "s",
                   "higher_is_better": False, "tags": {"p": process}, "nodeid": None,
                   "time": "2026-11-23T21:00:01+00:00"} for i in range(rows)]
        lines += [{"type": "outcome", "nodeid": f"t::{process}", "outcome": "passed",
                   "duration_s": 0.1}, {"type": "components", "etcd": "3.4.23"}]
        part = partial_dir(runs_dir, meta.id) / f"{process}.jsonl"
        part.write_text("".join(json.dumps(line) + "\n" for line in lines) + '{"type":"meas')
    return meta


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_killed_run_is_marked_crashed_with_every_row_once(tmp_path: Path) -> None:
    dead = _dead_writer()
    meta = _killed_run(tmp_path, controller=dead, workers={"gw0": dead, "gw1": dead})
    [found] = recover_crashed(tmp_path)
    assert (found.run_id, found.writer, found.rows) == (meta.id, dead, 202)
    document = read_run_file(found.path)
    assert document["run"]["status"] == "crashed" and document["run"]["recovered"]
    assert len(document["measurements"]) == 200 and len(document["outcomes"]) == 2
    assert document["run"]["components"] == {"etcd": "3.4.23"}
    assert not (tmp_path / ".partial").exists()
    digest = _digest(found.path)
    assert recover_crashed(tmp_path) == []
    assert _digest(found.path) == digest


@pytest.mark.parametrize("who", ["controller", "worker"])
def test_nothing_is_merged_while_any_writer_lives(tmp_path: Path, who: str) -> None:
    dead = _dead_writer()
    controller, worker = (HERE, dead) if who == "controller" else (dead, HERE)
    meta = _killed_run(tmp_path, controller=controller, workers={"gw0": worker})
    digest = _digest(run_file_path(tmp_path, meta.id))
    assert recover_crashed(tmp_path) == []
    assert _digest(run_file_path(tmp_path, meta.id)) == digest
    assert (partial_dir(tmp_path, meta.id) / "gw0.jsonl").exists()


def test_a_run_without_a_recorded_writer_is_left_alone(tmp_path: Path) -> None:
    meta = _killed_run(tmp_path, controller=_dead_writer(), workers={})
    path = run_file_path(tmp_path, meta.id)
    document = json.loads(path.read_text())
    document["run"]["writer"] = None  # as an older harness wrote it
    path.write_text(json.dumps(document))
    assert recover_crashed(tmp_path) == []
    assert read_run_file(path)["run"]["status"] == "running"


def test_a_kill_during_the_merge_loses_nothing_and_doubles_nothing(tmp_path: Path) -> None:
    dead = _dead_writer()
    # killed before the replace: a temp file beside the run file, every partial row still there
    first = _killed_run(tmp_path, controller=dead, workers={"main": dead})
    temp = tmp_path / f".run-{first.id}.json.abc123"
    temp.write_text('{"format": "cluster-harness/run", "ver')
    # killed after the replace, before the partial rows were removed
    second = _killed_run(tmp_path, controller=dead, workers={"main": dead})
    second.status = "failed"
    rows = (partial_dir(tmp_path, second.id) / "main.jsonl").read_bytes()
    merge_run(tmp_path, second)
    partial_dir(tmp_path, second.id).mkdir(parents=True)
    (partial_dir(tmp_path, second.id) / "main.jsonl").write_bytes(rows)
    merged = _digest(run_file_path(tmp_path, second.id))

    [found] = recover_crashed(tmp_path)
    assert found.run_id == first.id and found.rows == 101
    assert not temp.exists()
    assert _digest(run_file_path(tmp_path, second.id)) == merged
    assert len(read_run_file(run_file_path(tmp_path, second.id))["measurements"]) == 100
    assert not (tmp_path / ".partial").exists()


RACER = """
import sys, time
from pathlib import Path
from harness.results import recover_crashed
start = float(sys.argv[2])
while time.time() < start:
    pass
print(len(recover_crashed(Path(sys.argv[1]))))
"""


def test_processes_racing_to_recover_merge_each_run_once(tmp_path: Path) -> None:
    dead = _dead_writer()
    # big enough that a merge takes a while: without the lock, racers read rows another removed
    metas = [_killed_run(tmp_path, controller=dead, workers={f"gw{i}": dead for i in range(8)},
                         rows=1000) for _ in range(3)]
    start = str(time.time() + 2.0)  # all four begin in the same instant, after their imports
    racers = [subprocess.Popen([sys.executable, "-c", RACER, str(tmp_path), start],
                               stdout=subprocess.PIPE, text=True) for _ in range(4)]
    counts = [int(racer.communicate(timeout=60)[0]) for racer in racers]
    assert sum(counts) == 3, counts  # each run recovered by exactly one of them
    for meta in metas:
        document = read_run_file(run_file_path(tmp_path, meta.id))
        assert document["run"]["status"] == "crashed"
        assert len(document["measurements"]) == 8000 and len(document["outcomes"]) == 8


def test_a_runs_dir_that_cannot_be_written_is_listed_as_it_is(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Someone else's reports, or a full disk: the run stays `running`, its rows stay put."""
    dead = _dead_writer()
    meta = _killed_run(tmp_path, controller=dead, workers={"main": dead})

    def refuse(path: Path, document: dict[str, Any]) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(recovery, "write_json_atomically", refuse)
    assert recover_crashed(tmp_path) == []
    assert read_run_file(run_file_path(tmp_path, meta.id))["run"]["status"] == "running"
    assert (partial_dir(tmp_path, meta.id) / "main.jsonl").exists()
