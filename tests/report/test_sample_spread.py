"""A figure recorded with its repeated samples: the page shows the latest run's spread, and a
move inside the runs' own spread is not flagged, while the same move is for a steady figure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from harness.report import build_report
from harness.results import Measurement, RunMeta, RunRecorder, merge_run, start_run


def write_runs(runs_dir: Path, values: list[float], samples_spread: float) -> None:
    started = datetime(2026, 12, 1, tzinfo=UTC)
    for i, value in enumerate(values):
        when = (started + timedelta(hours=i)).isoformat()
        meta = RunMeta(id=f"20261201T{i:02d}0000Z-spread", target="lab://lab", profile="lab",
                       harness_version="0.1.0", started=when, ended=when, status="passed")
        start_run(runs_dir, meta)
        recorder = RunRecorder(runs_dir, meta.id, "main")
        for metric, spread in (("net.rtt.wide", samples_spread), ("net.rtt.steady", 0.0)):
            samples = (value - spread, value, value + spread) if spread else ()
            recorder.measurement(Measurement(metric, value, "ms", higher_is_better=False,
                                             nodeid=f"suites/test_x.py::{metric}", time=when,
                                             samples=samples))
        merge_run(runs_dir, meta)


def test_the_page_shows_the_spread_and_judges_a_step_against_it(tmp_path: Path) -> None:
    steady = [0.100 + 0.0001 * (i % 3) for i in range(11)]
    write_runs(tmp_path / "runs", [*steady, 0.112], samples_spread=0.05)  # latest 12 % slower
    page = build_report(tmp_path / "runs", tmp_path / "out").read_text()
    wide, steady_row = (page[page.index(f"<code>{name}</code>"):][:2500]
                        for name in ("net.rtt.wide", "net.rtt.steady"))
    assert "± 0.05" in wide and "±" not in steady_row.split("</tr>")[0]
    assert "regression" in steady_row.split("</tr>")[0]  # 12 % out of a still series
    assert "regression" not in wide.split("</tr>")[0]  # inside its runs' own ± 0.05 ms
