"""Run files under pytest-xdist: rows from every worker merged into one file, crashes survive."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from tests.plugin.conftest import harness_args


def _only_run_file(project: pytest.Pytester) -> dict[str, Any]:
    runs = project.path / "reports" / "runs"
    files = list(runs.glob("run-*.json"))
    assert len(files) == 1, files
    assert not (runs / ".partial").exists(), "partial rows left behind"
    document: dict[str, Any] = json.loads(files[0].read_text())
    return document


def test_two_workers_200_measurements_each_make_one_file_of_400(project: pytest.Pytester) -> None:
    project.makepyfile(**{"suites/test_many": """
import os

def test_record_200(measure):
    worker = os.environ["PYTEST_XDIST_WORKER"]
    for index in range(200):
        measure("synthetic.value", index, "1", higher_is_better=True, worker=worker, index=index)
"""})
    # --dist each runs the test on both workers: two processes recording at once.
    result = project.runpytest_subprocess(*harness_args("-n", "2", "--dist", "each", "suites"))
    result.assert_outcomes(passed=2)
    document = _only_run_file(project)
    rows = document["measurements"]
    assert len(rows) == 400
    by_worker = {(row["tags"]["worker"], row["tags"]["index"]) for row in rows}
    assert len(by_worker) == 400
    assert {worker for worker, _ in by_worker} == {"gw0", "gw1"}
    assert document["run"]["status"] == "passed"


def test_killed_worker_leaves_a_readable_run_marked_incomplete(project: pytest.Pytester) -> None:
    project.makepyfile(**{"suites/test_crash": """
import os, signal

def test_dies_midway(measure):
    for index in range(50):
        measure("before.crash", index, "1", higher_is_better=True)
    os.kill(os.getpid(), signal.SIGKILL)

def test_survivor(measure):
    measure("survivor", 1, "1", higher_is_better=True)
"""})
    result = project.runpytest_subprocess(*harness_args("-n", "2", "suites"))
    assert result.ret != 0
    document = _only_run_file(project)
    assert document["run"]["status"] == "incomplete"
    assert document["run"]["crashed_workers"]
    metrics = [row["metric"] for row in document["measurements"]]
    assert metrics.count("before.crash") == 50
    assert "survivor" in metrics
    crashed = [row for row in document["outcomes"] if row["nodeid"].endswith("test_dies_midway")]
    # xdist reports a crash outside any test phase, so it is an error, not a failed assertion.
    assert crashed
    assert crashed[0]["outcome"] == "error"
    assert "crashed" in crashed[0]["message"]


def test_benchmarks_and_disruptive_tests_never_overlap(
    project: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "spans.log"
    project.makepyfile(**{"suites/test_serial": f"""
import time
import pytest

def _span(name):
    start = time.monotonic()
    time.sleep(0.3)
    with open({str(log)!r}, "a") as stream:
        stream.write(f"{{start}} {{time.monotonic()}}\\n")

@pytest.mark.parametrize("index", range(4))
@pytest.mark.benchmark
def test_bench(index):
    _span(index)

@pytest.mark.parametrize("index", range(2))
@pytest.mark.disruptive
def test_chaos(index):
    _span(index)
"""})
    # A lock file of this test's own, so other runs on the machine don't serialise with it.
    monkeypatch.setenv("CLUSTER_HARNESS_LOCK", str(tmp_path / "serial.lock"))
    result = project.runpytest_subprocess(*harness_args("-n", "2", "--allow-disruption", "suites"))
    result.assert_outcomes(passed=6)
    spans = sorted(tuple(map(float, line.split())) for line in log.read_text().splitlines())
    assert len(spans) == 6
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert start >= end, f"two serial tests overlapped: {spans}"
