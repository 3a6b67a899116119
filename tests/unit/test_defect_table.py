"""The defect table read from proof run files: the seeded defect, what failed, the failing value."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from benchmarks.defect_table import rows
from harness.results import EventsTimeline, ExpectationRecord, ScenarioRecord

SCENARIO = "scenarios/osd-node-power-loss.yaml::osd-node-power-loss"


def _journal(*expectations: ExpectationRecord) -> list[dict[str, object]]:
    """The scenario's journal and the events timeline holding its figures, as a run file's rows."""
    journal = ScenarioRecord(name="osd-node-power-loss", title="t", source="s", target="lab://lab",
                             status="completed", deviated=True, passed=False, started=0.0, ended=1.0,
                             steps=(), expectations=expectations, nodeid=SCENARIO)
    figures = EventsTimeline("osd-node-power-loss", (), {"health.degraded_samples": 0.0,
                                                         "health.ok_after_power_on_s": None}, SCENARIO)
    return [asdict(journal.to_row()), asdict(figures.to_row())]


def _proof(tmp_path: Path, defects: list[str], outcomes: list[dict[str, object]],
           timelines: list[dict[str, object]] | None = None) -> Path:
    (tmp_path / "lab-proof.yaml").write_text(json.dumps({"name": "lab", "lab": {"defects": defects}}))
    runs = tmp_path / "runs-0"
    runs.mkdir()
    run_file = runs / "run-20261206T000000Z-abcdef.json"
    run_file.write_text(json.dumps({"outcomes": outcomes, "timelines": timelines or []}))
    return run_file


def test_a_scenario_gives_a_row_per_unmet_expectation_with_its_measured_value(tmp_path: Path) -> None:
    timelines = _journal(
        ExpectationRecord("io.continued_mib >= 40", "io.continued_mib", 40.0, True),
        ExpectationRecord("health.degraded_samples >= 1", "health.degraded_samples", 1.0, False),
        ExpectationRecord("health.ok_after_power_on_s <= profile.expectations.x",
                          "health.ok_after_power_on_s", 65.0, False))
    run_file = _proof(tmp_path, ["mgr-stats-stale"], [
        {"nodeid": SCENARIO, "outcome": "failed", "message": "scenario did not pass"}], timelines)
    assert list(rows(run_file)) == [
        ("mgr-stats-stale", SCENARIO, "did not pass: 2 expectation(s) not met and steady state not back"),
        ("mgr-stats-stale", "scenarios/osd-node-power-loss.yaml::expect health.degraded_samples",
         "0 (limit >= 1)"),
        ("mgr-stats-stale", "scenarios/osd-node-power-loss.yaml::expect health.ok_after_power_on_s",
         "not measured (limit <= 65)"),
    ]


def test_a_check_gives_its_own_sentence_and_passed_checks_nothing(tmp_path: Path) -> None:
    run_file = _proof(tmp_path, ["slow-link:wk1", "congested-switch"], [
        {"nodeid": "suites/network/test_throughput.py::test_pair[cp1->wk1]", "outcome": "failed",
         "message": "AssertionError: cp1 -> wk1: 94 Mbit/s is below 0.8 x 941 = 753\nassert 94.0 >= 753"},
        {"nodeid": "suites/network/test_throughput.py::test_pair[cp1->cp2]", "outcome": "passed",
         "message": None}])
    assert list(rows(run_file)) == [("slow-link:wk1+congested-switch",
                                     "suites/network/test_throughput.py::test_pair[cp1->wk1]",
                                     "cp1 -> wk1: 94 Mbit/s is below 0.8 x 941 = 753")]


def test_a_healthy_run_gives_no_rows(tmp_path: Path) -> None:
    run_file = _proof(tmp_path, [], [{"nodeid": "suites/x.py::test_y", "outcome": "failed", "message": "no"}])
    assert list(rows(run_file)) == []


def test_a_long_report_gives_the_e_line_not_the_locals(tmp_path: Path) -> None:
    message = ("bench = S3Phases(tool='warp 1.6.1')\nprofile = Profile(name='lab')\n\n"
               ">       _judge_large(\"get\", bench)\n"
               "E       AssertionError: S3 GET 41.2 MiB/s is below 0.9 x 92.6 = 83.3\n"
               "E       assert 41.2 >= 83.3\n")
    run_file = _proof(tmp_path, ["rgw-cpu-starved"], [
        {"nodeid": "suites/storage/test_object.py::test_object_get_throughput", "outcome": "failed",
         "message": message}])
    assert [row[2] for row in rows(run_file)] == ["S3 GET 41.2 MiB/s is below 0.9 x 92.6 = 83.3"]
