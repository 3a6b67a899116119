"""The page of a real lab run, read in headless Chromium (issue 13): one harness run on a lab
with a slow link (wk1) records the node-to-node matrix, failing goodput checks and a scenario;
the page shows each of them as the run file stores it."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.report import build_report
from harness.targets.lab import LabTarget
from tests.lab.harness_run import defect_profile, run_harness
from tests.report.dom import parse, table_rows
from tests.report.test_chromium import CHROMIUM, chromium, console_errors

pytestmark = [pytest.mark.lab,
              pytest.mark.skipif(CHROMIUM is None, reason="Debian package `chromium` is not installed")]

NODE_PAIRS = "suites/network/test_throughput.py::test_node_to_node_goodput"


def test_a_lab_runs_page_shows_its_matrix_scenario_verdicts_and_failure_sentences(
        shared_lab: LabTarget, tmp_path: Path) -> None:
    run = run_harness(tmp_path, NODE_PAIRS, "scenarios/vip-holder-power-loss.yaml", "--allow-disruption",
                      profile=defect_profile(tmp_path, "slow-link:wk1"))
    assert run.returncode == 1, run.output
    failed = run.failed()
    assert failed and all("wk1" in name for name in failed), failed  # only the slow node's pairs
    [runs_dir] = tmp_path.glob("runs-*")
    build_report(runs_dir, tmp_path / "out")
    page = tmp_path / "out" / "runs" / f"{run.document['run']['id']}.html"
    screenshot = tmp_path / "lab-run.png"
    shot = chromium(tmp_path, f"--screenshot={screenshot}", "--window-size=1280,3000", page.as_uri())
    dom = chromium(tmp_path, "--dump-dom", page.as_uri())
    assert shot.returncode == 0 and dom.returncode == 0, dom.stderr[-2000:]
    assert console_errors(shot.stderr + dom.stderr) == []
    print(f"screenshot of a lab run's page: {screenshot} ({screenshot.stat().st_size} bytes)")
    tree = parse(dom.stdout)

    # The matrix: every cell is the run file's goodput for that pair (its last value, as recorded).
    stored = {(m["tags"]["sender"], m["tags"]["receiver"]): m["value"] for m in run.document["measurements"]
              if m["metric"] == "network.node_to_node.goodput"}
    [matrix] = tree.by_id("throughput-matrix").find_all("table")[:1]
    header, *rows = table_rows(matrix)
    shown = {(row[0], receiver): cell for row in rows
             for receiver, cell in zip(header[1:], row[1:], strict=True) if row[0] != receiver}
    assert shown == {pair: f"{value:.4g}" for pair, value in stored.items()}

    # The scenario: each expectation's verdict as the journal stored it.
    [journal] = [t["data"] for t in run.timelines("chaos-journal")]
    [table] = tree.by_id("scenarios").find_all("table", "expectations")
    verdicts = [r[3] for r in table_rows(table)[1:]]
    assert verdicts == ["met" if e["ok"] else "not met" for e in journal["expectations"]]

    # The failures: one sentence per failed check, the check's own words, never pytest's locals.
    sentences = [p.text() for p in tree.by_id("failures").find_all("p", "sentence")]
    assert len(sentences) == len(failed), sentences
    messages = {row["nodeid"].split("::")[-1]: row.get("message") or "" for row in run.document["outcomes"]}
    for sentence in sentences:
        assert "object at 0x" not in sentence and any(sentence in messages[name] for name in failed), sentence
