"""Open the report in headless Chromium (Debian's `chromium`): no console errors, sections shown."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from harness.report import build_report
from harness.results import Outcome, RunRecorder, read_run_file, run_files
from harness.results.synthetic import FAILURE_REPORT, FAILURE_SENTENCE
from tests.report.dom import parse, table_rows
from tests.report.written_runs import power_loss_result, record_goodput, record_scenario, write_run

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian package `chromium` is not installed (apt-get install chromium)")


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
               "--enable-logging=stderr", "--v=0", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def console_errors(stderr: str) -> list[str]:
    """Page-level problems only; Chromium's own dbus/GPU chatter in a container is not the page's."""
    return [line for line in stderr.splitlines()
            if "CONSOLE" in line or "net::ERR" in line or "Uncaught" in line]


def test_index_renders_in_chromium(rendered: Path, tmp_path: Path) -> None:
    url = (rendered / "index.html").resolve().as_uri()
    screenshot = tmp_path / "page.png"

    shot = chromium(tmp_path, f"--screenshot={screenshot}", "--window-size=1280,2000", url)
    dom = chromium(tmp_path, "--dump-dom", url)

    assert shot.returncode == 0, shot.stderr[-2000:]
    assert screenshot.stat().st_size > 10_000
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert console_errors(shot.stderr + dom.stderr) == []
    for section in ("at-a-glance", "components", "failures", "metrics", "trends", "scenarios",
                    "failover", "throughput-matrix", "policy", "runs"):
        assert re.search(rf'<section id="{section}"', dom.stdout), section
    assert dom.stdout.count('<svg class="spark"') >= 12
    assert "Latest run" in dom.stdout


def test_a_run_page_renders_in_chromium(rendered: Path, tmp_path: Path) -> None:
    page = sorted((rendered / "runs").glob("*.html"))[-1]

    dom = chromium(tmp_path, "--dump-dom", page.resolve().as_uri())

    assert dom.returncode == 0
    assert console_errors(dom.stderr) == []
    assert '<section id="failover"' in dom.stdout


def test_a_written_run_shows_matrix_verdicts_and_failure_sentence_in_chromium(tmp_path: Path) -> None:
    def record(recorder: RunRecorder) -> None:
        record_goodput(recorder, {("cp1", "cp2"): 930.0, ("cp2", "cp1"): 910.0})
        record_scenario(recorder, power_loss_result())
        recorder.outcome(Outcome("suites/storage/test_storage.py::test_0", "failed", 1.0,
                                 message=FAILURE_REPORT))

    run_id = write_run(tmp_path / "runs", record)
    build_report(tmp_path / "runs", tmp_path / "out")
    [path] = run_files(tmp_path / "runs")
    document = read_run_file(path)
    page = tmp_path / "out" / "runs" / f"{run_id}.html"
    screenshot = tmp_path / "run.png"

    shot = chromium(tmp_path, f"--screenshot={screenshot}", "--window-size=1280,2400", page.as_uri())
    dom = chromium(tmp_path, "--dump-dom", page.as_uri())

    assert shot.returncode == 0 and dom.returncode == 0, dom.stderr[-2000:]
    assert console_errors(shot.stderr + dom.stderr) == []
    assert screenshot.stat().st_size > 10_000
    tree = parse(dom.stdout)
    [sentence] = tree.by_id("failures").find_all("p", "sentence")
    assert sentence.text() == FAILURE_SENTENCE and not sentence.inside("details")
    assert "LabTarget object at 0x" not in tree.by_id("failures").text().split(FAILURE_SENTENCE)[0]
    [journal] = [t["data"] for t in document["timelines"] if t["kind"] == "chaos-journal"]
    verdicts = [r[3] for r in table_rows(tree.by_id("scenarios").find_all("table", "expectations")[0])[1:]]
    assert verdicts == ["met" if e["ok"] else "not met" for e in journal["expectations"]]
    [matrix] = tree.by_id("throughput-matrix").find_all("table")[:1]
    assert table_rows(matrix) == [["sender \\ receiver", "cp1", "cp2"], ["cp1", "", "930"],
                                  ["cp2", "910", ""]]
