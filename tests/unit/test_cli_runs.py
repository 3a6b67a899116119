"""`harness runs` lists recorded runs with status and counts."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from harness.cli import app
from harness.results.synthetic import write_synthetic_runs


def test_lists_runs_with_counts(tmp_path: Path) -> None:
    write_synthetic_runs(tmp_path, runs=3, metrics=5)
    result = CliRunner().invoke(app, ["runs", "--runs-dir", str(tmp_path)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if "lab://lab" in line]
    assert len(lines) == 3
    assert all("passed" in line and " 5 " in line for line in lines)


def test_says_how_to_get_a_first_run(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["runs", "--runs-dir", str(tmp_path)])
    assert result.exit_code == 0
    assert "no runs" in result.output
    assert "pytest suites/" in result.output
