"""`--dry-run` prints what a run would create and inject and touches nothing: no request reaches
the fake API, no talosctl call, no BMC call. Plan mode of the target refuses reads."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.chaos import load_scenario
from harness.chaos.plan import plan_scenario
from harness.profile import load_profile
from harness.targets import PlanSink, make_target
from harness.targets.base import TargetError
from harness.targets.kubernetes import KubernetesTarget, manifests
from harness.targets.kubernetes.plan import PlanReadRefused
from harness.targets.planning import validation_problems
from tests.kubernetes.fakecluster import FakeCluster
from tests.kubernetes.test_network_on_fake_api import fake_profile
from tests.kubernetes.test_suites_on_fakes import ROOT, run_harness

RUN = "20250101T000000Z-abc123"


def _untouched(cluster: FakeCluster) -> None:
    assert cluster.api.calls == []
    assert cluster.talos_calls() == []
    assert cluster.state()["bmc_calls"] == []


def _yaml_documents(stdout: str) -> list[dict[str, object]]:
    section = stdout.split("objects, in the order they would be created", 1)[1]
    section = section.split("faults, in order", 1)[0]
    body = "\n".join(line for line in section.splitlines()[1:] if not line.startswith(("#", "=", "-" * 5)))
    return [doc for doc in yaml.safe_load_all(body) if doc]


def test_suite_dry_run_plans_and_sends_nothing(cluster: FakeCluster) -> None:
    done = run_harness(cluster, "--dry-run-offline", "suites/controlplane", "-q")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    _untouched(cluster)
    assert "nothing was sent to the cluster" in done.stdout
    assert " planned" in done.stdout and " passed" not in done.stdout
    documents = _yaml_documents(done.stdout)
    namespace = documents[0]
    assert namespace["kind"] == "Namespace"
    labels = namespace["metadata"]["labels"]  # type: ignore[index]
    assert labels[manifests.MANAGED_BY_LABEL] == manifests.MANAGED_BY
    assert labels["pod-security.kubernetes.io/enforce"] == "privileged"
    assert any(d["kind"] == "ConfigMap" for d in documents)
    assert "INVALID" not in done.stdout and "schema: valid" in done.stdout
    assert f"delete Namespace {namespace['metadata']['name']}" in done.stdout  # type: ignore[index]
    # Nothing ran, so nothing is recorded: no run file, no report.
    assert not list((cluster.root / "runs").glob("run-*.json"))


def test_dry_run_lists_the_preflight_first(cluster: FakeCluster) -> None:
    done = run_harness(cluster, "--dry-run-offline", "suites/nodes", "scenarios/follower-partitioned.yaml",
                       "-q")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    _untouched(cluster)
    pods = [d for d in _yaml_documents(done.stdout) if d["kind"] == "Pod"]
    names = [d["metadata"]["name"] for d in pods]  # type: ignore[index]
    nodes = ["kcp1", "kcp2", "kcp3", "kwk1"]
    # Images in the order of their need (nodes, partition), each on every node; then the tests' pods.
    assert names[:8] == [f"preflight-{n}-{i}" for i in (0, 1) for n in nodes]
    # Then the tests' own pods in the order they would run: the suite's, then the scenario's
    # partition pod (one per candidate node).
    assert names[8:] == [*(f"node-debug-{n}" for n in nodes), "partition-kcp1", "partition-kcp2",
                         "partition-kcp3"]
    assert "delete Pod preflight-kwk1-1" in done.stdout
    assert "preflight: can docker.io/nicolaka/netshoot:v0.13 run on kcp1?" in done.stdout
    # The partition lasts the step's 6 s: nobody can reach the node to end it sooner or later.
    assert "cut at the second it announces, heals itself after 6 s)" in done.stdout
    assert "sleep 6 >/dev/null" in done.stdout


def test_scenario_dry_run_lists_guards_before_faults(cluster: FakeCluster) -> None:
    done = run_harness(cluster, "--dry-run-offline", "scenarios/vip-holder-power-loss.yaml", "-q")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    _untouched(cluster)
    out = done.stdout
    order = [
        "guard: one scenario at a time",
        "guard: steady state before — api.roundtrip",
        "bind role controlplane.vip_holder",
        "guard: quorum",
        "method[0] power off the VIP holder",
        "on kcp1: BMC power off slot 1",
        "rollback[0] power_on",
        "expect api.time_to_recovery_s",
    ]
    positions = [out.index(text) for text in order]
    assert positions == sorted(positions), out[-4000:]


def test_dry_run_is_refused_on_the_lab(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--dry-run", "--target", "lab", "suites/controlplane",
         "-p", "no:cacheprovider", "--results-dir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == pytest.ExitCode.USAGE_ERROR
    assert "--dry-run: the lab target is this machine's own lab and has no dry run" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_target_that_cannot_plan_refuses_when_it_is_made() -> None:
    with pytest.raises(TargetError, match="lab target is this machine's own lab and has no dry run"):
        make_target("lab", load_profile(ROOT / "profiles" / "lab.yaml"), run_id=RUN, plan=PlanSink())


def test_plan_mode_refuses_reads_and_records_writes(cluster: FakeCluster) -> None:
    sink = PlanSink()
    target = make_target("kubernetes", load_profile(cluster.profile_path), run_id=RUN, plan=sink)
    assert target.run_id == RUN  # complete when made: nothing is bound or swapped later
    target.prepare()
    with pytest.raises(PlanReadRefused):
        target.nodes()
    with pytest.raises(PlanReadRefused):
        target.controlplane.vip_holder()
    with pytest.raises(PlanReadRefused):  # node calls refuse too: the faults hold the stand-in
        target.faults.reboot("kcp1")
    target.release()
    assert [w.sentence().split(" (")[0] for w in sink.writes] == [
        f"create Namespace {manifests.namespace_name(RUN)}",
        f"delete Namespace {manifests.namespace_name(RUN)}",
    ]
    _untouched(cluster)


def test_the_plugin_imports_no_target_internals() -> None:
    """The plugin comes in by the front door: `harness.targets` and its contract, nothing of a
    particular target (the dry run is declared on `Target`)."""
    inner = []
    for path in sorted((ROOT / "harness" / "plugin").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([node.module or ""] if isinstance(node, ast.ImportFrom)
                     else [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            inner += [f"{path.name}: {name}" for name in names
                      if name.startswith(("harness.targets.kubernetes", "harness.targets.lab"))]
    assert inner == []


def test_a_broken_manifest_is_flagged() -> None:
    broken = manifests.configmap("cm", run_id="20250101T000000Z-abc123", data={})
    broken["spec"] = {"oops": True}
    assert validation_problems(broken)
    assert validation_problems(manifests.namespace("20250101T000000Z-abc123")) == []


def test_a_plan_that_breaks_quorum_says_it_would_be_refused(k8s_target: KubernetesTarget) -> None:
    scenario = load_scenario(ROOT / "scenarios" / "vip-holder-power-loss.yaml")
    two_down = scenario.model_copy(update={"method": [
        scenario.method[0].model_copy(update={"target": None, "node": "kcp1"}),
        scenario.method[0].model_copy(update={"target": None, "node": "kcp2"}),
    ]})
    plan = plan_scenario(two_down, profile=k8s_target.profile, source="x.yaml",
                         lock_path=ROOT / "x.lock", describe_fault=k8s_target.plan_fault)
    assert plan.refused is not None and "quorum" in plan.refused


@pytest.mark.parametrize("image", [None, "registry.example/sockperf:3.7-1"])
def test_network_dry_run_lists_sockperf_objects_only_with_an_image(cluster: FakeCluster,
                                                                   image: str | None) -> None:
    cluster.profile_path = fake_profile(cluster, images={"sockperf": image} if image else None)
    done = run_harness(cluster, "--dry-run-offline", "suites/network/test_netperf.py", "-m", "benchmark",
                       "-q")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    _untouched(cluster)
    assert "INVALID" not in done.stdout
    objects: list[dict[str, Any]] = [d for d in _yaml_documents(done.stdout) if isinstance(d, dict)]
    tools = {(d["kind"], d["metadata"]["name"]): d for d in objects
             if str(d["metadata"]["name"]).startswith(("iperf3-", "sockperf-"))}
    iperf3 = {("Pod", "iperf3-server"), ("Job", "iperf3-client")}
    assert set(tools) == (iperf3 | {("Pod", "sockperf-server"), ("Job", "sockperf-client")} if image
                          else iperf3)
    if image:
        assert tools[("Pod", "sockperf-server")]["spec"]["containers"][0]["image"] == image
        assert f"preflight: can {image} run on kcp1?" in done.stdout
