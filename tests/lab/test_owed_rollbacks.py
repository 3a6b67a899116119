"""A harness killed mid-scenario (SIGKILL: no finally, no undo) leaves its fault on the lab; the
ledger beside the run files remembers it, and the next session heals it before its first test.
Also `harness chaos run` on the lab: a run file with the scenario's verdict, and no debt left."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.chaos.owed import RollbackLedger
from harness.metrics import CHANGES
from harness.results import load_frames
from harness.targets.lab import LabTarget, net
from tests.lab.conftest import wait_for
from tests.lab.harness_run import REPO, defect_profile

pytestmark = pytest.mark.lab


def start_scenario(profile: Path, runs: Path, scenario: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--no-report", "-q",
               "--profile", str(profile), "--results-dir", str(runs), "--allow-disruption",
               f"scenarios/{scenario}.yaml"]
    return subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)


def kill_once_owed(process: subprocess.Popen[str], ledger: RollbackLedger, action: str) -> str:
    """SIGKILL the whole session as soon as its fault is on the ledger; returns the node."""
    try:
        wait_for(lambda: any(e.action == action for e in ledger.outstanding()), 120,
                 f"the scenario's {action} on the ledger")
        time.sleep(0.5)  # the fault itself follows its ledger line
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate(timeout=30)
    [entry] = ledger.outstanding()
    return entry.node


def run_files(runs: Path) -> list[dict[str, object]]:
    return [json.loads(p.read_text())["run"] for p in sorted(runs.glob("run-*.json"))]


@pytest.mark.parametrize(("scenario", "action"), [("follower-partitioned", "partition"),
                                                  ("vip-holder-power-loss", "power_off")])
def test_a_killed_session_leaves_its_debt_and_the_next_one_pays_it(
        lab: LabTarget, tmp_path: Path, scenario: str, action: str) -> None:
    profile, runs = defect_profile(tmp_path), tmp_path / "runs"
    ledger = RollbackLedger.in_results(runs)
    node = kill_once_owed(start_scenario(profile, runs, scenario), ledger, action)
    plan_node = next(n for n in lab.lab.plan.nodes if n.name == node)
    if action == "partition":
        assert net.is_partitioned(plan_node), "the killed run's partition should still be there"
    else:
        assert not lab.lab.node_pids(node), f"{node} should still be powered off"

    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--no-report",
                           "-q", "--profile", str(profile), "--results-dir", str(runs),
                           "suites/controlplane"],
                          cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
    output = done.stdout + done.stderr
    assert f"rollback left by an earlier run: {action} {node}" in output, output
    assert done.returncode == 0, output
    assert ledger.outstanding() == [] and not ledger.path.exists()
    assert not net.is_partitioned(plan_node) and lab.lab.node_pids(node)
    assert sorted(str(r["status"]) for r in run_files(runs)) == ["crashed", "passed"]


def test_chaos_run_writes_a_run_file_and_owes_nothing(lab: LabTarget, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    harness = str(Path(sys.executable).with_name("harness"))  # the venv's console script
    done = subprocess.run([harness, "chaos", "run",
                           "scenarios/follower-partitioned.yaml", "--yes",
                           "--profile", str(defect_profile(tmp_path)), "--results-dir", str(runs)],
                          cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    [path] = runs.glob("run-*.json")
    assert f"run file: {path}\n" in output, output
    document = json.loads(path.read_text())
    assert document["run"]["status"] == "passed"
    assert [o["outcome"] for o in document["outcomes"]] == ["passed"]
    frames = load_frames(runs, timelines=True)
    trended = set(frames.measurements["metric"])  # read out of the probe timelines
    assert {"chaos.api.longest_unavailable_s", "chaos.api.availability_pct"} <= trended, trended
    records = frames.timelines[document["run"]["id"]]
    [term] = [p for p in records.probes if p.observation == "term"]
    assert term.figure(CHANGES) == 0  # a partitioned follower forces no election
    [scenario] = records.scenarios
    assert [e.ok for e in scenario.expectations] == [True, True, True]
    assert not RollbackLedger.in_results(runs).path.exists()
