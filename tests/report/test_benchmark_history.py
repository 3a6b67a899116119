"""1,000 runs x 100 metrics: the 15 % drop planted at run 700 is flagged, noise alone is not.

The timing budget (5 s) is printed and enforced by benchmarks/report_render.py; here only an
order-of-magnitude guard, so a slow CI machine does not fail a correct report.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from harness.report import build_report
from harness.results import FORMAT_VERSION, series_key, trended_measurements
from harness.results.synthetic import extra_timelines, goodput_rows, metric_name, write_history

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from report_render import PLANTED, flags, history


def test_planted_regression_is_flagged_and_noise_is_not(tmp_path: Path) -> None:
    write_history(tmp_path / "runs", history(1000, 100))

    started = time.perf_counter()
    index = build_report(tmp_path / "runs", tmp_path / "out")
    elapsed = time.perf_counter() - started

    found = flags(index.read_text())
    # + the last run's goodput pairs and its scenario's trended probe figures
    trended = trended_measurements(extra_timelines(), version=FORMAT_VERSION, when="")
    assert len(found) == 100 + len(goodput_rows(datetime.now(UTC))) + len(trended)
    assert {name: found[name] for name in found if name.startswith("chaos.")} == {
        series_key(row["metric"], row["tags"]): "ok" for row in trended}
    assert found.pop(metric_name(PLANTED)) == "regression"
    assert {name for name, flag in found.items() if flag != "ok"} == set()
    assert "regression -15." in index.read_text()  # the change point, in words, at run #700
    assert "at run #700" in index.read_text()
    assert index.stat().st_size <= 5 * 1024 * 1024
    assert elapsed < 20, f"render took {elapsed:.1f} s; budget is 5 s (see benchmarks/)"
