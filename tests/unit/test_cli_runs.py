"""`harness runs` lists recorded runs with status and counts."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from harness.cli import app
from harness.results.synthetic import History, write_history


def test_lists_runs_with_counts(tmp_path: Path) -> None:
    write_history(tmp_path, History(runs=3, metrics=5, extras_in_last_run=False))
    result = CliRunner().invoke(app, ["runs", "--runs-dir", str(tmp_path)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if " lab " in line]
    assert len(lines) == 3
    for line in lines:
        # status, then passed / failed / skipped / measurements
        cells = [cell.strip() for cell in line.split("│")][1:-1]
        assert cells[2:4] + cells[5:] == ["lab", "passed", "12", "0", "1", "5"], line


def test_says_how_to_get_a_first_run(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["runs", "--runs-dir", str(tmp_path)])
    assert result.exit_code == 0
    assert "no runs" in result.output
    assert "pytest suites/" in result.output
