"""Property: every loader either accepts a document that is then valid for what reads it next,
or rejects it with the harness's own error listing where — never anything else.

Seeds are the shipped profiles and scenarios and run files as the harness writes them; see
tests/unit/fuzzing.py for the damage. Bounded (200 examples per loader, derandomized so CI
sees the same examples every time) and timed: each test prints its count and seconds.
"""

from __future__ import annotations

import json
import shutil
import socket
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from harness.chaos import ScenarioError, parse_scenario, profile_problems
from harness.chaos.load import cross_field_problems as scenario_rules
from harness.chaos.plan import plan_scenario
from harness.cli.runs_cmd import summaries
from harness.errors import HarnessError, ProblemsError, ProfileError
from harness.profile import Profile, load_profile
from harness.profile.load import parse_profile
from harness.profile.rules import cross_field_problems as profile_rules
from harness.report.scenarios import scenarios
from harness.report.sections import failover, policy
from harness.results import (
    RunFileError,
    load_frames,
    read_run_file,
    recover_crashed,
    trended_measurements,
)
from harness.results.recorder import partial_dir
from harness.results.store import run_file_path
from harness.results.synthetic import History, write_history
from harness.targets import make_target
from tests.unit.fuzzing import damaged_bytes, damaged_yaml, fuzz_counted, mutated

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = 200
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

PROFILES = [yaml.safe_load(p.read_text()) for p in sorted((REPO / "profiles").glob("*.yaml"))]
SCENARIOS = [yaml.safe_load(p.read_text()) for p in sorted((REPO / "scenarios").glob("*.yaml"))]
LAB = load_profile(REPO / "profiles" / "lab.yaml")


def _run_seeds() -> list[dict[str, Any]]:
    """Run files as the harness writes them: a plain run, and one with probe, event and policy
    timelines (probe samples cut to 4, so mutations land on the rest of the file too)."""
    with tempfile.TemporaryDirectory() as folder:
        write_history(Path(folder), History(runs=2, metrics=3))
        documents = [json.loads(p.read_text()) for p in sorted(Path(folder).glob("run-*.json"))]
    for timeline in documents[-1]["timelines"]:
        data = timeline["data"]
        if "samples" in data:
            data["samples"] = {k: v[:4] for k, v in data["samples"].items()}
    # a run killed mid-way: `running`, written by a process that is gone (pid 0 never runs a
    # harness), so accepted variants of it go through recovery too
    dead = {"host": socket.gethostname(), "pid": 0, "boot_id": None, "start_ticks": None}
    documents[0]["run"] |= {"status": "running", "ended": None, "writer": dead}
    return documents


RUNS = _run_seeds()
PARTIAL_ROWS = "".join(json.dumps(row) + "\n" for row in [
    {"type": "writer", "host": socket.gethostname(), "pid": 0},
    {"type": "outcome", "nodeid": "suites/t.py::t", "outcome": "passed", "duration_s": 0.1},
    {"type": "measurement", "metric": "m", "value": 1.0, "unit": "s", "higher_is_better": False,
     "tags": {}, "nodeid": None, "time": "2026-01-01T00:00:00+00:00"}])


def _assert_rejected_well(error: HarnessError, *, one_line_naming: Path | None = None) -> None:
    """The harness's own error: a message, and for input files every problem with its path."""
    assert str(error).strip()
    if one_line_naming is not None:  # run files: one line per file in `harness runs`
        assert "\n" not in str(error) and str(one_line_naming) in str(error)
    if isinstance(error, ProblemsError):
        assert error.problems
        for path, sentence in error.problems:
            assert isinstance(path, str) and isinstance(sentence, str) and sentence.strip()



def test_profiles_are_accepted_valid_or_rejected_with_paths() -> None:
    counter = [0]

    @FUZZ
    @given(text=mutated(PROFILES).flatmap(lambda doc: damaged_yaml(yaml.safe_dump(doc))))
    def check(text: str) -> None:
        counter[0] += 1
        try:
            profile = parse_profile(text, source="fuzz.yaml")
        except ProfileError as error:
            _assert_rejected_well(error)
            return
        assert profile_rules(profile) == []
        Profile.model_validate(profile.model_dump())
        try:  # what the plugin does next; a target may refuse a profile, in one sentence
            make_target(profile.target, profile, run_id="20250101T000000Z-f0220a")
        except HarnessError as error:
            _assert_rejected_well(error)

    fuzz_counted("profiles", check, counter, EXAMPLES)


def test_scenarios_are_accepted_valid_or_rejected_with_paths() -> None:
    counter = [0]

    @FUZZ
    @given(text=mutated(SCENARIOS).flatmap(lambda doc: damaged_yaml(yaml.safe_dump(doc))))
    def check(text: str) -> None:
        counter[0] += 1
        try:
            scenario = parse_scenario(text, source="fuzz.yaml")
        except ScenarioError as error:
            _assert_rejected_well(error)
            return
        assert scenario_rules(scenario) == []
        if not profile_problems(scenario, LAB):  # what --dry-run does next
            plan_scenario(scenario, profile=LAB, source="fuzz.yaml", lock_path=Path("/tmp/x.lock"),
                          describe_fault=lambda action, node, service, duration, rate: action)

    fuzz_counted("scenarios", check, counter, EXAMPLES)


def test_run_files_are_accepted_valid_or_rejected_in_one_sentence(tmp_path: Path) -> None:
    counter = [0]
    path = tmp_path / "run-fuzz.json"

    @FUZZ
    @given(data=mutated(RUNS).flatmap(
        lambda doc: damaged_bytes(json.dumps(doc, allow_nan=True).encode())))
    def check(data: bytes) -> None:
        counter[0] += 1
        path.write_bytes(data)
        try:
            document = read_run_file(path)
        except RunFileError as error:
            _assert_rejected_well(error, one_line_naming=path)
            return
        # accepted: what `harness runs` and the report read next works on it
        frames = load_frames([path], timelines=True)
        assert len(frames.runs) == 1
        derived = trended_measurements(document["timelines"], version=document["version"],
                                       when=document["run"]["started"])
        assert len(frames.measurements) == len(document["measurements"]) + len(derived)
        timelines = frames.timelines[document["run"]["id"]]
        failover(timelines)
        policy(timelines)
        scenarios(timelines)
        [summary] = summaries(frames, last=20)
        assert summary.id == document["run"]["id"]
        _recover(tmp_path / "runs", data, document)

    fuzz_counted("run files", check, counter, EXAMPLES)


def _recover(runs_dir: Path, data: bytes, document: dict[str, Any]) -> None:
    """An accepted run with partial rows left behind: recovery either merges them into a file
    that is still valid, or leaves the file exactly as it was."""
    shutil.rmtree(runs_dir, ignore_errors=True)
    run_id = document["run"]["id"]
    path = run_file_path(runs_dir, run_id)
    partial_dir(runs_dir, run_id).mkdir(parents=True)
    path.write_bytes(data)
    (partial_dir(runs_dir, run_id) / "main.jsonl").write_text(PARTIAL_ROWS)
    recovered = recover_crashed(runs_dir)
    if recovered:
        assert read_run_file(path)["run"]["status"] == "crashed"
        assert recover_crashed(runs_dir) == []
    else:
        assert path.read_bytes() == data


@pytest.mark.parametrize("text", ["- a\n- b\n", "just words\n", "42\n", "null\n", ""])
def test_a_profile_that_is_not_a_mapping_is_one_problem(text: str) -> None:
    with pytest.raises(ProfileError) as caught:
        parse_profile(text, source="p.yaml")
    assert caught.value.problems == [("", "must be a YAML mapping at the top level")]


@pytest.mark.parametrize("token", ["2026-02-30", "!!int x", "!!float y"])
def test_yaml_values_the_constructors_refuse_are_problems_not_crashes(token: str) -> None:
    text = (REPO / "profiles" / "lab.yaml").read_text().replace("name: lab", f"name: {token}", 1)
    with pytest.raises(ProfileError, match="is not valid YAML"):
        parse_profile(text)
