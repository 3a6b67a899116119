"""`up` is idempotent and finishes a half-done `up`; `down` leaves nothing behind."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from harness.cli import lab_cmd
from harness.targets.lab import LabTarget, procs
from tests.lab.conftest import PROFILE

pytestmark = pytest.mark.lab


def test_up_twice_changes_nothing(lab: LabTarget) -> None:
    before = lab.lab.status()
    began = time.monotonic()
    lab.lab.up()
    assert time.monotonic() - began < 2.0
    assert lab.lab.status() == before


def test_up_finishes_a_half_done_up(lab: LabTarget) -> None:
    pid = lab.lab.service_pid("cp2", "etcd")
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    subprocess.run(["ip", "netns", "del", "wk1"], check=True)
    assert not lab.lab.status().running
    lab.lab.up()
    assert lab.lab.status().running
    lab.controlplane.roundtrip()


def test_down_leaves_nothing_and_up_takes_under_15_s(lab: LabTarget) -> None:
    plan = lab.plan
    pids = [p for n in plan.nodes for p in lab.lab.node_pids(n.name)]
    assert pids
    lab.lab.down()
    namespaces = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.split()
    assert not {n.name for n in plan.nodes} & set(namespaces)
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    assert "hlab0" not in links
    assert "harness" not in subprocess.run(["nft", "list", "tables"], capture_output=True, text=True).stdout
    assert not any(procs.alive(p) for p in pids)
    assert procs.zombie_children() == [], "daemons this session stopped were never waited for"
    assert not plan.state_dir.exists()
    assert not lab.lab.status().anything
    seconds = lab.lab.up()
    assert seconds <= 15.0


def test_cli_status_shows_members_and_vip(lab: LabTarget, tmp_path: Path) -> None:
    app = typer.Typer()
    lab_cmd.register(app)
    app.command("noop")(lambda: None)  # a second command keeps `lab` a sub-command
    # The shared lab runs without Ceph: ask about the lab it is (profiles/lab.yaml brings Ceph up).
    profile = tmp_path / "lab-no-storage.yaml"
    profile.write_text(PROFILE.read_text().replace("  storage: true ", "  storage: false"))
    result = CliRunner().invoke(app, ["lab", "status", "--profile", str(profile)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "lab is up" in result.output
    assert "held by cp" in result.output
    assert result.output.count("healthy") == 3
