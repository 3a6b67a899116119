"""Report tests render pages from synthetic run files written in the documented format."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.report import build_report
from harness.results.synthetic import History, metric_name, write_history

STEPPED = 4  # net.bench_004: MB/s, higher is better; drops 20 % at run 30
SPEC = History(runs=40, metrics=12, seed=1, steps={STEPPED: [(30, 0.8)]}, version_change_at=30)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A report out dir built from 40 runs x 12 metrics; the last run has every extra section."""
    root = tmp_path_factory.mktemp("report")
    write_history(root / "runs", SPEC)
    build_report(root / "runs", root / "out")
    return root / "out"


def flagged_series(html: str) -> dict[str, str]:
    """series name -> flag, for every row of the index's metrics table."""
    rows = re.findall(r'<tr class="[^"]*" id="series-\d+">\s*<td><code>([^<]+)</code>.*?'
                      r'<span class="badge ([\w-]+)">', html, flags=re.DOTALL)
    return dict(rows)


def stepped_name() -> str:
    return metric_name(STEPPED)
