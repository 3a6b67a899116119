"""Cleanup against the real API server: the run's namespace is gone after a pass, after Ctrl-C
and after SIGTERM (the namespace controller really finalizes it), and `harness clean` finds and
removes what a crashed run left, by label."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from kubernetes import client as k8s

from harness.targets.kubernetes import manifests
from harness.targets.lab import LabTarget
from harness.targets.lab.kube_objects import admin_client
from tests.kubelab.conftest import PROFILE, REPO

pytestmark = pytest.mark.kubelab


def harness_namespaces(core: k8s.CoreV1Api) -> list[str]:
    found = core.list_namespace(label_selector=manifests.MANAGED_SELECTOR).items
    return sorted(n.metadata.name for n in found)


def wait_none_left(core: k8s.CoreV1Api, timeout_s: float) -> list[str]:
    deadline = time.monotonic() + timeout_s
    left = harness_namespaces(core)
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = harness_namespaces(core)
    return left


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_an_interrupted_run_leaves_no_namespace(healthy_kube_lab: LabTarget, tmp_path: Path,
                                                sig: signal.Signals) -> None:
    core = k8s.CoreV1Api(admin_client(healthy_kube_lab.plan))
    assert harness_namespaces(core) == []
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--no-report", "-q",
               "--profile", str(PROFILE), "--results-dir", str(tmp_path), "suites/controlplane"]
    run = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)
    try:
        deadline = time.monotonic() + 60
        while not harness_namespaces(core) and time.monotonic() < deadline and run.poll() is None:
            time.sleep(0.05)
        assert harness_namespaces(core), "the run never created its namespace"
        run.send_signal(sig)
        output, _ = run.communicate(timeout=90)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode != 0, output
    assert wait_none_left(core, 30) == [], output
    assert healthy_kube_lab.lab.status().running, "a lab the run did not start must stay up"


def test_clean_removes_what_a_crashed_run_left(healthy_kube_lab: LabTarget) -> None:
    core = k8s.CoreV1Api(admin_client(healthy_kube_lab.plan))
    orphan = manifests.namespace("20261201t000000z-crashd")
    core.create_namespace(orphan)
    name = orphan["metadata"]["name"]
    done = subprocess.run([str(Path(sys.executable).parent / "harness"), "clean", "--yes", "--profile",
                           str(PROFILE)], cwd=REPO, capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"deleted namespaces/{name}" in done.stdout
    assert wait_none_left(core, 30) == []
