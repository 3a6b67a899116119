"""Run files: atomic writes, merging rows from several processes, version checks, frames."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path

import pytest

from harness.results import (
    Measurement,
    Outcome,
    RunFileError,
    RunMeta,
    RunRecorder,
    Timeline,
    load_frames,
    merge_run,
    new_run_id,
    read_run_file,
    start_run,
    this_writer,
)
from harness.results.recorder import partial_dir
from harness.results.synthetic import History, metric_name, write_history


def _meta() -> RunMeta:
    return RunMeta(id=new_run_id(), target="lab://lab", profile="lab", harness_version="0.1.0",
                   started="2026-11-23T21:00:00+00:00")


def test_rows_from_several_processes_merge_into_one_file(tmp_path: Path) -> None:
    meta = _meta()
    start_run(tmp_path, meta)
    for process in ("gw0", "gw1"):
        recorder = RunRecorder(tmp_path, meta.id, process)
        for index in range(3):
            recorder.measurement(Measurement("m", index, "s", False, tags={"p": process}))
        recorder.outcome(Outcome(f"t::{process}", "passed", 0.5))
        recorder.timeline(Timeline("api", "probe", {"samples": {"time": [1.0], "ok": [True]}}))
        recorder.components({"etcd": "3.4.23"})
        recorder.close()
    meta.status = "passed"
    path = merge_run(tmp_path, meta)
    document = read_run_file(path)
    assert len(document["measurements"]) == 6
    assert {row["nodeid"] for row in document["outcomes"]} == {"t::gw0", "t::gw1"}
    assert len(document["timelines"]) == 2
    assert document["run"]["components"] == {"etcd": "3.4.23"}
    assert not partial_dir(tmp_path, meta.id).exists()


def test_a_line_cut_short_by_a_killed_process_is_skipped(tmp_path: Path) -> None:
    meta = _meta()
    recorder = RunRecorder(tmp_path, meta.id, "gw0")
    recorder.measurement(Measurement("kept", 1, "s", False))
    recorder.close()
    with recorder.path.open("a") as stream:
        stream.write('{"type":"measurement","metric":"cut')
    document = read_run_file(merge_run(tmp_path, meta))
    assert [row["metric"] for row in document["measurements"]] == ["kept"]


def test_run_file_exists_from_the_start(tmp_path: Path) -> None:
    meta = _meta()
    document = read_run_file(start_run(tmp_path, meta))
    assert document["run"]["status"] == "running"
    assert document["measurements"] == []


def test_write_is_atomic_no_temp_file_left(tmp_path: Path) -> None:
    meta = _meta()
    merge_run(tmp_path, meta)
    assert [p.name for p in tmp_path.iterdir()] == [f"run-{meta.id}.json"]


def test_newer_format_is_refused_with_what_to_do(tmp_path: Path) -> None:
    path = start_run(tmp_path, _meta())
    document = json.loads(path.read_text())
    document["version"] = 99
    path.write_text(json.dumps(document))
    with pytest.raises(RunFileError, match=r"format version 99, newer .* upgrade cluster-harness"):
        read_run_file(path)
    with pytest.raises(RunFileError):
        load_frames(tmp_path)


def test_foreign_and_damaged_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "run-x.json").write_text('{"hello": 1}')
    with pytest.raises(RunFileError, match="not a cluster-harness run file"):
        read_run_file(tmp_path / "run-x.json")
    (tmp_path / "run-y.json").write_text("{")
    with pytest.raises(RunFileError, match="cannot be read"):
        read_run_file(tmp_path / "run-y.json")


def test_frames_across_runs(tmp_path: Path) -> None:
    write_history(tmp_path, History(runs=5, metrics=6, extras_in_last_run=False))
    frames = load_frames(tmp_path)
    assert len(frames.runs) == 5
    assert frames.runs["started"].is_monotonic_increasing
    assert len(frames.measurements) == 30
    assert len(frames.outcomes) == 5 * 13
    tagged = {"net.bench_000{node=worker1}", "storage.bench_005{node=worker3}"}
    series = {metric_name(j) for j in range(1, 5)} | tagged
    assert set(frames.measurements["series"]) == series
    assert set(frames.measurements["run_id"]) == set(frames.runs["run_id"])


def test_empty_directory_gives_empty_frames_with_columns(tmp_path: Path) -> None:
    frames = load_frames(tmp_path)
    assert frames.runs.empty
    assert "status" in frames.runs.columns
    assert frames.measurements.empty
    assert "value" in frames.measurements.columns


def test_recorder_appends_are_whole_lines(tmp_path: Path) -> None:
    recorder = RunRecorder(tmp_path, "r", "main")
    big = {"samples": [[float(i), True, 0.001] for i in range(20000)]}
    recorder.timeline(Timeline("api", "probe", big))
    recorder.close()
    lines = recorder.path.read_text().splitlines()
    assert len(lines) == 2
    assert json.loads(lines[0]) == {"type": "writer", **asdict(this_writer())}
    assert json.loads(lines[1])["data"] == json.loads(json.dumps(big))
    assert os.path.getsize(recorder.path) > 200_000


def test_a_probe_timeline_the_report_could_not_draw_is_refused_with_its_path(tmp_path: Path) -> None:
    """Found by the fuzz test: an event with `time: null` crashed the failover section."""
    [run_id] = write_history(tmp_path, History(runs=1, metrics=2))
    path = tmp_path / f"run-{run_id}.json"
    document = json.loads(path.read_text())
    [index] = [i for i, t in enumerate(document["timelines"]) if t["kind"] == "events"]
    document["timelines"][index]["data"]["events"][1]["time"] = None
    path.write_text(json.dumps(document))
    with pytest.raises(RunFileError, match=rf"is damaged: timelines\[{index}\]\.data\.events\[1\]\.time: "
                                           "should be seconds "):
        read_run_file(path)
