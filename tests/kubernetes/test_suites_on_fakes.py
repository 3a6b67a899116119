"""The control-plane suite and scenarios run unchanged with `--target kubernetes` against the
fake API + fake talosctl + fake BMC, in a pytest subprocess, and always clean up."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.kubernetes.fakecluster import FakeCluster

ROOT = Path(__file__).resolve().parents[2]


def harness_command(cluster: FakeCluster, *args: str) -> list[str]:
    """The harness's pytest against the fake cluster, as a user would run it."""
    return [sys.executable, "-m", "pytest", "--target", "kubernetes",
            "--profile", str(cluster.profile_path), "--results-dir", str(cluster.root / "runs"),
            "--no-report", "-p", "no:cacheprovider", *args]


def harness_env(cluster: FakeCluster) -> dict[str, str]:
    # Locks of the test's own, so other runs on the machine don't serialise with it.
    return {**os.environ, **cluster.env,
            "CLUSTER_HARNESS_CHAOS_LOCK": str(cluster.root / "chaos.lock"),
            "CLUSTER_HARNESS_LOCK": str(cluster.root / "serial.lock")}


def run_harness(
    cluster: FakeCluster, *args: str, timeout_s: float = 180
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(harness_command(cluster, *args), cwd=ROOT, env=harness_env(cluster),
                          capture_output=True, text=True, timeout=timeout_s, check=False)


def run_namespace(cluster: FakeCluster) -> str:
    created = [
        c.path.rsplit("/", 1)[-1]
        for c in cluster.api.calls
        if c.method == "DELETE" and c.path.startswith("/api/v1/namespaces/") and c.path.count("/") == 4
    ]
    assert len(created) == 1, f"expected one namespace deletion, saw {created}"
    return created[0]


def test_controlplane_suite_passes_and_cleans_up(cluster: FakeCluster) -> None:
    done = run_harness(cluster, "suites/controlplane", "-q", "-k", "not latency")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    namespace = run_namespace(cluster)
    writes = cluster.api.writes()
    assert (
        writes[0] == "POST /api/v1/namespaces" and writes[-1] == f"DELETE /api/v1/namespaces/{namespace}"
    )
    assert f"POST /api/v1/namespaces/{namespace}/configmaps" in writes
    run_file = json.loads(next((cluster.root / "runs").glob("*.json")).read_text())
    assert namespace == "harness-" + run_file["run"]["id"].lower()
    assert cluster.api.names("v1", "namespaces") == []
    assert any("etcd status" in call for call in cluster.talos_calls())


def test_failing_test_still_deletes_the_namespace(cluster: FakeCluster) -> None:
    cluster.update(vip_holder="")  # nobody holds the VIP: test_vip_held_by_a_controlplane_node fails
    done = run_harness(cluster, "suites/controlplane", "-q", "-k", "vip_held")
    assert done.returncode == 1, done.stdout[-3000:]
    assert "nobody holds the VIP" in done.stdout
    run_namespace(cluster)
    assert cluster.api.names("v1", "namespaces") == []


def test_sigterm_mid_scenario_rolls_back_and_deletes_the_namespace(cluster: FakeCluster) -> None:
    process = subprocess.Popen(
        harness_command(cluster, "--allow-disruption", "scenarios/etcd-leader-stopped.yaml", "-q"),
        cwd=ROOT,
        env=harness_env(cluster),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(
        "service etcd stop" in c for c in cluster.talos_calls()
    ):
        time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=60)
    calls = cluster.talos_calls()
    assert any("service etcd stop" in c for c in calls), output[-3000:]
    assert any("service etcd start" in c for c in calls), output[-3000:]  # the stop's undo ran
    assert cluster.state()["stopped"] == {"127.0.0.11": []}
    run_namespace(cluster)
    assert cluster.api.names("v1", "namespaces") == []


INTERRUPTING_PLUGIN = """
import pytest

@pytest.hookimpl(trylast=True)  # after the harness prepared the target, as pytest's own hooks run
def pytest_sessionstart(session):
    raise KeyboardInterrupt("signal 15")
"""


def test_interrupt_after_prepare_in_another_sessionstart_still_deletes_the_namespace(
    cluster: FakeCluster,
) -> None:
    # pytest runs no sessionfinish when sessionstart is interrupted; seen in CI as a SIGTERM
    # landing in pytest's own fixture-manager hook, after ours had created the namespace.
    (cluster.root / "interrupt_after_prepare.py").write_text(INTERRUPTING_PLUGIN)
    env = {**harness_env(cluster), "PYTHONPATH": str(cluster.root)}
    done = subprocess.run(harness_command(cluster, "-p", "interrupt_after_prepare", "-q",
                                          "suites/controlplane"),
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2, done.stdout[-3000:] + done.stderr[-2000:]
    run_namespace(cluster)
    assert cluster.api.names("v1", "namespaces") == []
    run_file = json.loads(next((cluster.root / "runs").glob("*.json")).read_text())
    assert run_file["run"]["status"] == "interrupted"


SWALLOWING_PLUGIN = """
import os, signal, time

class Finalized:
    def __del__(self):  # CPython drops what a finalizer raises, KeyboardInterrupt too
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(1)

fired = []

def pytest_runtest_call(item):
    if not fired:
        fired.append(item.nodeid)
        Finalized()  # collected at once: Ctrl-C lands in its __del__
"""


def test_ctrl_c_that_a_finalizer_swallowed_still_stops_the_run(cluster: FakeCluster) -> None:
    # Seen on the Kubernetes lab: a run sent SIGINT just after it created its namespace ran all
    # its checks and exited 0, as if no one had asked it to stop.
    (cluster.root / "swallow_ctrl_c.py").write_text(SWALLOWING_PLUGIN)
    env = {**harness_env(cluster), "PYTHONPATH": str(cluster.root)}
    done = subprocess.run(harness_command(cluster, "-p", "swallow_ctrl_c", "-q", "suites/controlplane"),
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2, done.stdout[-3000:] + done.stderr[-2000:]
    run_file = json.loads(next((cluster.root / "runs").glob("*.json")).read_text())
    assert run_file["run"]["status"] == "interrupted"
    assert len(run_file["outcomes"]) == 1  # the test it landed in ended; no other started
    run_namespace(cluster)
    assert cluster.api.names("v1", "namespaces") == []


def test_scenario_passes_on_the_fakes(cluster: FakeCluster) -> None:
    done = run_harness(cluster, "--allow-disruption", "scenarios/vip-holder-power-loss.yaml", "-q")
    assert done.returncode == 0, done.stdout[-4000:]
    assert cluster.state()["bmc_calls"] == [
        "opt=set&type=power&node1=0",
        "opt=get&type=power",
        "opt=set&type=power&node1=1",
        "opt=get&type=power",
    ]
    assert cluster.api.names("v1", "namespaces") == []
