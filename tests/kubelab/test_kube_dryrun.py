"""`--dry-run` against a real API server: every planned object checked with a server-side dry run
(`dryRun=All`), nothing stored, a refusal named in the server's words and failing the run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from kubernetes import client as k8s

from harness.results import new_run_id
from harness.targets.kubernetes import manifests
from harness.targets.lab import LabTarget
from harness.targets.lab.kube_objects import admin_client
from tests.kubelab.conftest import PROFILE
from tests.kubelab.test_kube_target import limited_kubeconfig

pytestmark = pytest.mark.kubelab

REPO = Path(__file__).resolve().parents[2]
SUITES = ("suites/controlplane", "suites/nodes", "suites/network/test_loadbalancer.py")


def dry_run(tmp_path: Path, *args: str, profile: Path = PROFILE) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--no-report", "--profile",
               str(profile), "--results-dir", str(tmp_path / "runs"), "-q", *args]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300, check=False)


def stored_by_the_harness(lab: LabTarget) -> list[str]:
    api = admin_client(lab.plan)
    selector = f"{manifests.MANAGED_BY_LABEL}={manifests.MANAGED_BY}"
    namespaces = k8s.CoreV1Api(api).list_namespace(label_selector=selector).items
    pools = k8s.CustomObjectsApi(api).list_cluster_custom_object(
        "cilium.io", "v2alpha1", "ciliumloadbalancerippools", label_selector=selector)["items"]
    return [n.metadata.name for n in namespaces] + [p["metadata"]["name"] for p in pools]


def test_the_server_checks_every_planned_object_and_stores_none(
        healthy_kube_lab: LabTarget, tmp_path: Path) -> None:
    done = dry_run(tmp_path, "--dry-run", *SUITES)
    out = done.stdout
    assert done.returncode == 0, out[-4000:] + done.stderr[-2000:]
    assert "checked by its API server, nothing stored" in out
    assert "the server refused 0 of" in out
    lines = out.splitlines()
    verdicts = [line for line in lines if line.startswith("# server: ")]
    planned = [line for line in lines if line.startswith("# create ")]
    assert len(verdicts) == len(planned) > 10
    # The namespace, the Cilium pool (checked against the CRD the cluster has) and the Service:
    for kind in ("Namespace", "CiliumLoadBalancerIPPool", "CiliumL2AnnouncementPolicy"):
        index = next(i for i, line in enumerate(lines) if line.startswith(f"# create {kind} "))
        assert lines[index + 2] == "# server: accepted (dry run)", lines[index:index + 3]
    # Objects of the run's namespaces are checked in `default`: the privileged node-debug pod is
    # refused there by PodSecurity (baseline), which is said, and does not fail the plan.
    debug = [v for v in verdicts if "violates PodSecurity" in v]
    assert debug and all("checked in namespace default" in v and "schema accepted" in v for v in debug)
    assert stored_by_the_harness(healthy_kube_lab) == []


def test_an_object_the_server_refuses_fails_the_dry_run(
        healthy_kube_lab: LabTarget, tmp_path: Path) -> None:
    user = f"no-rights-{new_run_id()[-6:]}"  # authenticated, but RBAC grants it nothing
    profile = tmp_path / "lab-kubernetes-no-rights.yaml"
    text = PROFILE.read_text()
    admin = "/run/cluster-harness/lab-kubernetes/kubernetes/admin.kubeconfig"
    assert admin in text
    profile.write_text(text.replace(admin, str(limited_kubeconfig(healthy_kube_lab, tmp_path, user))))
    done = dry_run(tmp_path, "--dry-run", "suites/controlplane", profile=profile)
    assert done.returncode == 1, done.stdout[-4000:] + done.stderr[-2000:]
    refused = [line for line in done.stdout.splitlines() if line.startswith("# server: REFUSED: ")]
    assert refused and all("is forbidden" in line and user in line for line in refused), refused
    assert "Traceback" not in done.stdout + done.stderr


def test_offline_sends_nothing(healthy_kube_lab: LabTarget, tmp_path: Path) -> None:
    done = dry_run(tmp_path, "--dry-run-offline", "suites/controlplane")
    assert done.returncode == 0, done.stdout[-4000:]
    assert "not checked by a server (--dry-run-offline: nothing sent)" in done.stdout
    assert "# server: " not in done.stdout
