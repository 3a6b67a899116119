"""Typed run-file records: each figure written once, read back whole, version 1 files still read."""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from harness import metrics
from harness.chaos.rows import result_records
from harness.results import (
    FORMAT_VERSION,
    EventsTimeline,
    ProbeTimeline,
    RunFileError,
    RunTimelines,
    ScenarioRecord,
    load_frames,
    read_run_file,
)
from harness.results.run_records import scenario_figures
from tests.report.written_runs import power_loss_result, record_scenario, write_run

V1_FILE = Path(__file__).parent / "data" / "run-v1-power-loss.json"
"""Written by the chaos rows of commit 5aa3e31, the last harness that wrote version 1."""
NODEID = "scenarios/power-loss.yaml::power-loss"


def places(value: object, target: float, path: str = "") -> list[str]:
    """Every path in a JSON document whose number equals `target`."""
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in places(v, target, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in places(v, target, f"{path}[{i}]")]
    return [path] if isinstance(value, float) and value == target else []


def test_a_version_2_run_file_holds_each_figure_once(tmp_path: Path) -> None:
    result = power_loss_result()
    run_id = write_run(tmp_path, lambda recorder: record_scenario(recorder, result))
    document = read_run_file(tmp_path / f"run-{run_id}.json")
    longest = result.metrics["api.longest_unavailable_s"]
    assert longest is not None and longest > 0
    [probe_index] = [i for i, t in enumerate(document["timelines"]) if t["kind"] == "probe"]

    assert document["version"] == FORMAT_VERSION
    assert places(document, longest) == [f".timelines[{probe_index}].data.figures.longest_unavailable_s"]
    # version 1 kept it in the journal's metrics, the expectation, the probe, a measurement and
    # the window's duration: five copies that could disagree
    assert len(places(json.loads(V1_FILE.read_text()), longest)) == 5


def test_records_survive_their_rows() -> None:
    result = power_loss_result()
    records = result_records(result, nodeid=NODEID)
    [probe] = records.probes
    rows = [asdict(row) for row in records.rows()]
    probes = [ProbeTimeline.from_row(r) for r in rows if r["kind"] == "probe"]
    events = [EventsTimeline.from_row(r) for r in rows if r["kind"] == "events"]

    assert probes == [probe]
    assert events == [records.events]
    figures = scenario_figures(rows[0], probes, events)
    assert ScenarioRecord.from_row(rows[0], figures) == records.scenario
    assert [e.measured for e in records.scenario.expectations] == [
        result.metrics[e.expectation.metric] for e in result.expectations]
    assert probe.figure(metrics.AVAILABILITY_PCT) == result.observations[0].availability.availability_pct


def test_load_frames_gives_typed_timelines_and_derives_the_trended_series(tmp_path: Path) -> None:
    result = power_loss_result()
    run_id = write_run(tmp_path, lambda recorder: record_scenario(recorder, result))
    frames = load_frames(tmp_path, timelines=True)
    timelines = frames.timelines[run_id]

    [probe] = timelines.probes
    [scenario] = timelines.scenarios
    assert (probe.observation, probe.scenario) == ("api", "vip-holder-power-loss")
    assert scenario.passed == result.passed and len(scenario.steps) == len(result.journal)
    trended = frames.measurements.set_index("metric")["value"].to_dict()
    for spec in metrics.observation_specs(probe.probe):
        if spec.trended and probe.figure(spec) is not None:
            assert trended[metrics.chaos_metric("api", spec)] == probe.figure(spec)
    assert "chaos.api.samples" not in trended  # not trended: it stays in its timeline
    assert load_frames(tmp_path).timelines == {}  # `harness runs` does not pay for timelines


def test_a_version_1_file_reads_into_the_same_records(tmp_path: Path) -> None:
    stored: dict[str, Any] = json.loads(V1_FILE.read_text())
    [v1_probe] = [t["data"] for t in stored["timelines"] if t["kind"] == "probe"]
    [v1_journal] = [t["data"] for t in stored["timelines"] if t["kind"] == "chaos-journal"]
    shutil.copy(V1_FILE, tmp_path / V1_FILE.name.replace("run-v1-power-loss", "run-x"))

    frames = load_frames(tmp_path, timelines=True)
    timelines: RunTimelines = frames.timelines[stored["run"]["id"]]

    # the measurements version 1 wrote, not a second derived copy
    assert sorted(frames.measurements["metric"]) == sorted(m["metric"] for m in stored["measurements"])
    [probe] = timelines.probes
    assert probe.observation == "api" and probe.scenario == "vip-holder-power-loss"
    for spec in (metrics.LONGEST_UNAVAILABLE, metrics.AVAILABILITY_PCT, metrics.TIME_TO_RECOVERY):
        assert probe.figure(spec) == v1_probe[spec.name]
    [scenario] = timelines.scenarios
    assert [(e.metric, e.measured, e.limit, e.ok) for e in scenario.expectations] == [
        (e["text"].split()[0], e["measured"], e["limit"], e["ok"]) for e in v1_journal["expectations"]]
    # version 1 copied the events into the probe as well: drawn once
    assert len(timelines.events_of({probe.nodeid})) == len(v1_probe["events"]) > 0


@pytest.mark.parametrize("version", [FORMAT_VERSION + 1, 0])
def test_versions_this_harness_never_wrote_are_refused_in_a_sentence(tmp_path: Path,
                                                                     version: int) -> None:
    document = json.loads(V1_FILE.read_text())
    document["version"] = version
    path = tmp_path / "run-x.json"
    path.write_text(json.dumps(document))
    with pytest.raises(RunFileError, match=rf"format version {version}, .*move the file out") as error:
        read_run_file(path)
    assert "\n" not in str(error.value)
    if version > FORMAT_VERSION:
        assert "upgrade cluster-harness" in str(error.value)
