"""`harness runs` lists recorded runs with status and counts, as a table or as JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harness.cli import app
from harness.results import FORMAT_VERSION, RunMeta, start_run, trended_measurements
from harness.results.synthetic import History, extra_timelines, goodput_rows, write_history


def _runs(runs_dir: Path, *extra: str, columns: int = 200) -> str:
    result = CliRunner().invoke(app, ["runs", "--runs-dir", str(runs_dir), *extra],
                                env={"COLUMNS": str(columns)})
    assert result.exit_code == 0, result.output
    return result.output


def test_json_lists_runs_with_counts(tmp_path: Path) -> None:
    ids = write_history(tmp_path, History(runs=3, metrics=5, extras_in_last_run=False))
    rows = json.loads(_runs(tmp_path, "--json"))
    assert [row["id"] for row in rows] == ids
    for row in rows:
        assert (row["target"], row["status"], row["passed"], row["failed"], row["skipped"],
                row["measurements"]) == ("lab", "passed", 12, 0, 1, 5)
        assert Path(row["path"]).name == f"run-{row['id']}.json"


def test_json_counts_failures_and_respects_last(tmp_path: Path) -> None:
    ids = write_history(tmp_path, History(runs=4, metrics=5))
    rows = json.loads(_runs(tmp_path, "--json", "--last", "2"))
    assert [row["id"] for row in rows] == ids[-2:]
    # the last run's goodput pairs, and the trended figures of its scenario's probe timeline
    trended = trended_measurements(extra_timelines(), version=FORMAT_VERSION, when="")
    assert {row["metric"] for row in trended} >= {"chaos.api.longest_unavailable_s"}
    extras = len(goodput_rows(datetime.now(UTC))) + len(trended)
    assert (rows[-1]["status"], rows[-1]["failed"], rows[-1]["measurements"]) == ("failed", 1, 5 + extras)


def test_table_counts_per_run(tmp_path: Path) -> None:
    ids = write_history(tmp_path, History(runs=3, metrics=5, extras_in_last_run=False))
    lines = _runs(tmp_path).splitlines()
    assert lines[0].split() == ["run", "status", "target", "label", "pass", "fail", "skip", "rows"]
    assert [line.split() for line in lines[1:]] == [[i, "passed", "lab", "12", "0", "1", "5"]
                                                    for i in ids]


@pytest.mark.parametrize("columns", [80, 60, 40])
def test_whole_run_ids_on_a_narrow_terminal(tmp_path: Path, columns: int) -> None:
    """The id is what `harness report --compare` takes: it must survive any width, whole."""
    ids = []
    for index, label in enumerate(["after talos 1.9 and the new cilium values", None]):
        meta = RunMeta(id=f"20261123T21140{index}Z-3f9a1c", target="kubernetes://homelab",
                       profile="homelab", harness_version="0.1.0",
                       started="2026-11-23T21:14:00+00:00", label=label, status="interrupted")
        start_run(tmp_path, meta)
        ids.append(meta.id)
    output = _runs(tmp_path, columns=columns)
    for run_id in ids:
        assert any(line.startswith(run_id + " ") for line in output.splitlines()), output
    assert all(len(line) <= columns for line in output.splitlines()), output
    if columns == 80:  # the status is never cut either; label and target give way
        assert output.count(" interrupted ") == 2, output


def test_says_how_to_get_a_first_run(tmp_path: Path) -> None:
    output = _runs(tmp_path)
    assert "no runs" in output
    assert "pytest suites/" in output
    assert json.loads(_runs(tmp_path, "--json")) == []
