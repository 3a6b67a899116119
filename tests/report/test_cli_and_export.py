"""`harness report`, `--compare`, and the export table behind `harness runs export`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from harness.cli import report_cmd
from harness.errors import HarnessError
from harness.report import export_runs
from harness.results import FORMAT_VERSION, trended_measurements
from harness.results.synthetic import History, extra_timelines, goodput_rows, write_history


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()
    report_cmd.register(app)
    runs = typer.Typer()
    runs.command("export")(report_cmd.export_command)
    app.add_typer(runs, name="runs")
    return app


@pytest.fixture
def history(tmp_path: Path) -> list[str]:
    return write_history(tmp_path / "runs", History(runs=6, metrics=3, seed=4))


def test_report_command(app: typer.Typer, history: list[str], tmp_path: Path) -> None:
    del history
    result = CliRunner().invoke(app, ["report", "--runs", str(tmp_path / "runs"),
                                      "--out", str(tmp_path / "out")])

    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "index.html").exists()
    assert "report written" in result.output


def test_report_compare(app: typer.Typer, history: list[str], tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["report", "--runs", str(tmp_path / "runs"), "--out",
                                      str(tmp_path / "out"), "--compare", history[0], history[-1]])

    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / f"compare-{history[0]}-{history[-1]}.html").exists()


def test_compare_with_an_unknown_run_is_a_user_error(history: list[str], tmp_path: Path) -> None:
    from harness.report import build_comparison

    with pytest.raises(HarnessError, match="no run matches 'nope'"):
        build_comparison(tmp_path / "runs", tmp_path / "out", "nope", history[0])
    with pytest.raises(HarnessError, match="matches 6 runs"):
        build_comparison(tmp_path / "runs", tmp_path / "out", "2026", history[0])


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export(app: typer.Typer, history: list[str], tmp_path: Path, fmt: str) -> None:
    if fmt == "parquet":
        pytest.importorskip("pyarrow", reason="parquet export needs pyarrow")
    out = tmp_path / f"all.{fmt}"

    result = CliRunner().invoke(app, ["runs", "export", "--format", fmt, "--out", str(out),
                                      "--runs-dir", str(tmp_path / "runs")])

    assert result.exit_code == 0, result.output
    table = pd.read_csv(out) if fmt == "csv" else pd.read_parquet(out)
    # 3 metrics per run, plus the goodput pairs and the trended probe figures of the last run
    trended = trended_measurements(extra_timelines(), version=FORMAT_VERSION, when="")
    assert len(table) == 6 * 3 + len(goodput_rows(datetime.now(UTC))) + len(trended)
    assert list(table.columns[:4]) == ["run_id", "started", "target", "profile"]
    assert set(table["run_id"]) == set(history)


def test_export_rejects_unknown_formats(tmp_path: Path) -> None:
    with pytest.raises(HarnessError, match="unknown export format"):
        export_runs(tmp_path, "xml", tmp_path / "x")  # type: ignore[arg-type]
