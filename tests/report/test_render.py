"""The index and the per-run pages: self-contained, sections present only with data."""

from __future__ import annotations

import re
from pathlib import Path

from harness.report import build_comparison, build_report
from harness.results.synthetic import FAILURE_SENTENCE, History, write_history
from tests.report.conftest import SPEC, flagged_series, stepped_name


def test_index_and_one_page_per_run(rendered: Path) -> None:
    html = (rendered / "index.html").read_text()

    assert len(list((rendered / "runs").glob("*.html"))) == SPEC.runs
    for section in ('id="at-a-glance"', 'id="suites"', 'id="failures"', 'id="changes"',
                    'id="metrics"', 'id="trends"', 'id="failover"', 'id="throughput-matrix"',
                    'id="policy"', 'id="runs"', 'id="scenarios"', 'id="components"'):
        assert section in html, section
    assert f'<p class="sentence">{FAILURE_SENTENCE}</p>' in html
    assert "1 mismatch" in html  # default -> backend allowed although expected deny


def test_pages_are_self_contained(rendered: Path) -> None:
    for page in [rendered / "index.html", *(rendered / "runs").glob("*.html")]:
        html = page.read_text()
        assert not re.search(r'(src|href)="(https?:)?//', html), page
        assert "<script" not in html
        assert "@import" not in html
        assert "url(" not in html


def test_the_planted_step_is_flagged_and_noise_is_not(rendered: Path) -> None:
    flags = flagged_series((rendered / "index.html").read_text())

    assert flags.pop(stepped_name()) == "regression"
    assert set(flags.values()) == {"ok"}, {k: v for k, v in flags.items() if v != "ok"}


def test_version_changes_are_annotated(rendered: Path) -> None:
    html = (rendered / "index.html").read_text()

    assert "cilium 1.16.3→1.17.0" in html
    assert 'class="version"' in html


def test_a_run_without_extras_shows_no_empty_sections(rendered: Path) -> None:
    first = sorted((rendered / "runs").glob("*.html"))[0].read_text()

    for section in ('id="failover"', 'id="throughput-matrix"', 'id="policy"', 'id="failures"',
                    'id="scenarios"'):
        assert section not in first
    assert "First run." in first


def test_an_empty_runs_directory_says_so(tmp_path: Path) -> None:
    index = build_report(tmp_path / "runs", tmp_path / "out")

    assert "No runs yet" in index.read_text()


def test_compare_highlights_only_differences_beyond_noise(tmp_path: Path) -> None:
    ids = write_history(tmp_path / "runs", History(runs=30, metrics=8, seed=2,
                                                   steps={0: [(29, 0.7)]}))

    page = build_comparison(tmp_path / "runs", tmp_path / "out", ids[28][:18], ids[29])

    html = page.read_text()
    flagged = re.findall(r'<tr class="(flagged|better)"><td><code>([^<]+)</code>', html)
    assert flagged == [("flagged", "net.bench_000{node=worker1}")]


def test_a_short_history_flags_no_latest_value(tmp_path: Path) -> None:
    # Three earlier runs give no noise estimate: a 25 % jump in the latest run is shown, not flagged.
    write_history(tmp_path / "short", History(runs=4, metrics=3, steps={1: [(3, 0.75)]},
                                              extras_in_last_run=False))
    flags = flagged_series(build_report(tmp_path / "short", tmp_path / "out-short").read_text())
    assert set(flags.values()) == {"ok"}
    write_history(tmp_path / "long", History(runs=12, metrics=3, steps={1: [(11, 0.75)]},
                                             extras_in_last_run=False))
    flags = flagged_series(build_report(tmp_path / "long", tmp_path / "out-long").read_text())
    assert flags.pop("storage.bench_001") != "ok"
    assert set(flags.values()) == {"ok"}
