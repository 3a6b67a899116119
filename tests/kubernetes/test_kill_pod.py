"""`kill etcd` on Talos: the kill pod's real script against a node's /proc of stand-in processes
(`fakekillpods.py`: every PID there is a process of this test), a fake machined that restarts
etcd, and the fake talosctl that reports it. The kill is stamped at the second the pod killed,
only etcd dies, and the undo waits for machined's restart instead of starting anything; a short
crash scenario runs through the runner, its figures counted from the kill's second."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import cast

import pytest
import yaml

from harness.chaos import load_scenario
from harness.chaos.runner import RunContext, run_scenario
from harness.targets.base import TargetError
from harness.targets.kubernetes import KubernetesTarget
from harness.targets.kubernetes.faults import TalosFaults
from harness.targets.kubernetes.killpods import kill_pod
from harness.targets.kubernetes.settings import WaitSettings
from tests.kubernetes.fakecluster import CONTROLPLANE, NODES, FakeCluster
from tests.kubernetes.fakekillpods import FakeMachined
from tests.kubernetes.test_suites_on_fakes import run_harness

NS = "harness-20250101t000000z-abc123"


@pytest.fixture
def machined(cluster: FakeCluster, tmp_path: Path) -> Iterator[FakeMachined]:
    found = FakeMachined(cluster.api, tmp_path / "nodes", cluster.state_path, NODES).install(CONTROLPLANE)
    yield found
    found.close()


@pytest.fixture
def target(k8s_target: KubernetesTarget, machined: FakeMachined) -> Iterator[KubernetesTarget]:
    k8s_target.wait = replace(WaitSettings(), poll_interval_s=0.05, pod_timeout_s=10.0)
    faults = cast(TalosFaults, k8s_target.faults)
    faults.poll_s, faults.restart_bound_s = 0.05, 10.0
    k8s_target.prepare()
    yield k8s_target
    k8s_target.release()


def alive(process: subprocess.Popen[bytes]) -> bool:
    return process.poll() is None


def test_a_kill_is_a_sigkill_of_the_one_etcd_process_stamped_at_its_second(
        target: KubernetesTarget, machined: FakeMachined, cluster: FakeCluster) -> None:
    etcd = machined.etcd["kcp1"]
    asked_at = time.time()
    undo = target.faults.kill("etcd", "kcp1")
    assert etcd.wait(2) == -9  # SIGKILL, nothing graceful
    assert all(alive(p) for ps in machined.decoys.values() for p in ps)  # etcdctl, apiserver live on
    assert all(alive(machined.etcd[n]) for n in ("kcp2", "kcp3"))
    (stamp,) = target.events.since(0)
    assert (stamp.kind, stamp.node, stamp.detail) == ("kill", "kcp1", f"etcd pid {etcd.pid}")
    assert stamp.time == int(stamp.time) and asked_at <= stamp.time + 1  # the announced second
    log = (machined.root / "kcp1" / "kill-etcd-kcp1.log").read_text()
    assert f"harness-kill: etcd is pid {etcd.pid}, SIGKILL at {int(stamp.time)}" in log
    assert f"harness-kill: killed {etcd.pid} at {int(stamp.time)}" in log
    assert cluster.api.get("v1", "pods", "kill-etcd-kcp1", NS) is None  # the ended pod is deleted
    assert target.controlplane.leader() != "kcp1"  # the followers elected another
    undo()  # waits for machined's restart: nothing is started by the harness
    undo()  # idempotent
    assert alive(machined.etcd["kcp1"]) and machined.etcd["kcp1"].pid != etcd.pid
    assert [e.kind for e in target.events.since(0)] == ["kill", "restart"]
    service_calls = [c for c in cluster.talos_calls() if " service " in c]
    assert service_calls and all(c.endswith("service etcd") for c in service_calls)


def test_a_node_without_exactly_one_etcd_process_kills_nothing(
        target: KubernetesTarget, machined: FakeMachined, cluster: FakeCluster) -> None:
    second = machined.second_etcd("kcp2")
    with pytest.raises(TargetError, match=r"harness-kill: FAILED: 2 processes run etcd on this node "
                                          r"\(pids \d+ \d+\): not exactly one, nothing killed"):
        target.faults.kill("etcd", "kcp2")
    assert alive(second) and alive(machined.etcd["kcp2"])
    assert target.events.since(0) == []
    assert cluster.api.get("v1", "pods", "kill-etcd-kcp2", NS) is None


def test_the_undo_says_so_when_machined_does_not_restart_etcd(
        target: KubernetesTarget, machined: FakeMachined) -> None:
    machined.restart_after_s = 30.0
    cast(TalosFaults, target.faults).restart_bound_s = 0.5
    undo = target.faults.kill("etcd", "kcp3")
    with pytest.raises(TargetError, match=r"etcd on kcp3 is not Running and healthy after 0\.5 s of "
                                          r"waiting for machined to restart it \(last: Finished, "
                                          r"health \?\)"):
        undo()
    assert [e.kind for e in target.events.since(0)] == ["kill"]


def test_the_kill_pod_is_privileged_in_the_nodes_pid_namespace_and_pinned() -> None:
    body = kill_pod("kcp1", service="etcd", run_id="r1", image="docker.io/library/alpine:3.20")
    spec = body["spec"]
    assert spec["nodeName"] == "kcp1" and spec["hostPID"] is True
    assert spec["containers"][0]["securityContext"] == {"privileged": True}
    assert spec["restartPolicy"] == "Never" and body["metadata"]["labels"]["harness/role"] == "kill"
    script = spec["containers"][0]["command"][2]
    assert "pgrep" not in script and "pkill" not in script and "kill -9 \"$pid\"" in script


def test_the_dry_run_shows_the_kill_pod_and_refuses_nothing(cluster: FakeCluster) -> None:
    done = run_harness(cluster, "--dry-run-offline", "scenarios/etcd-leader-killed.yaml", "-q")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "WOULD BE REFUSED" not in done.stdout
    for node in CONTROLPLANE:
        assert f"# create Pod kill-etcd-{node} in {NS[:8]}" in done.stdout
        assert f"on {node}: create privileged host-PID Pod kill-etcd-{node}" in done.stdout
    section = done.stdout.split("# create Pod kill-etcd-kcp1", 1)[1].split("---", 1)[0]
    assert "schema: valid" in section and "hostPID: true" in section
    assert "service etcd says Running, health OK" in done.stdout
    assert cluster.api.calls == [] and cluster.talos_calls() == []


SCENARIO = {
    "title": "etcd leader killed (short)",
    "steady_state": [{"probe": "controlplane.members_healthy", "tolerance": 3},
                     {"probe": "controlplane.one_leader", "tolerance": "ok"}],
    "method": [{"name": "kill etcd on the leader", "action": "kill", "service": "etcd",
                "target": "controlplane.etcd_leader", "duration_s": 1}],
    "observe": {"leader": {"probe": "controlplane.leader", "rate_hz": 5, "duration_s": 4,
                           "lead_s": 0.5, "timeout_s": 2}},
    "expectations": ["leader.changes >= 1"],
    "rollbacks": [],
    "recovery_timeout_s": 10,
}


def test_the_crash_scenario_runs_through_the_runner_from_the_kill_second(
        target: KubernetesTarget, machined: FakeMachined, tmp_path: Path) -> None:
    path = tmp_path / "etcd-killed.yaml"
    path.write_text(yaml.safe_dump(SCENARIO))
    leader = target.controlplane.leader()
    etcd = machined.etcd[str(leader)]
    result = run_scenario(load_scenario(path), context=RunContext(
        target=target, profile=target.profile, source=str(path), lock_path=tmp_path / "lock"))
    assert result.status == "completed" and not result.deviated, result.error
    assert result.bindings == {"controlplane.etcd_leader": leader}
    assert etcd.returncode == -9
    kill = next(e for e in result.events if e.kind == "kill")
    assert result.fault_at == kill.time == int(kill.time)  # figures count from the kill's second
    assert [e.kind for e in result.events] == ["kill", "restart"]
    assert [r.ok for r in result.expectations] == [True]  # a new leader was elected
    assert alive(machined.etcd[str(leader)])  # machined's restart, which the undo waited for
