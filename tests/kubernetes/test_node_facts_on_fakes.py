"""`suites/nodes` runs unchanged with `--target kubernetes` against the fake API: one node-debug
pod per node, every command through the exec API (what the fake nodes answer is in
`fakenodes.py`), the pods gone with the namespace; and each seeded node defect fails exactly
its check on exactly its node."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.kubernetes.fakeapi import succeeded_pod
from tests.kubernetes.fakecluster import NODES, FakeCluster
from tests.kubernetes.fakenodes import FakeNode, FakeNodes
from tests.kubernetes.test_suites_on_fakes import run_harness, run_namespace

CHECKS = ("test_link_speed_and_mtu_match_the_profile", "test_kernel_and_os_recorded",
          "test_clock_is_synchronised", "test_data_disk_has_room")


@pytest.fixture
def fakenodes(cluster: FakeCluster) -> FakeNodes:
    return FakeNodes(cluster.api, {name: FakeNode(ip) for name, ip in NODES.items()}).install()


def run_outcomes(cluster: FakeCluster) -> list[dict[str, str]]:
    run = json.loads(next((cluster.root / "runs").glob("*.json")).read_text())
    return [{**o, "test": o["nodeid"].split("::")[-1]} for o in run["outcomes"]]


def outcomes(cluster: FakeCluster) -> dict[str, str]:
    return {o["test"]: o["outcome"] for o in run_outcomes(cluster)}


def test_node_facts_pass_through_the_exec_api(cluster: FakeCluster, fakenodes: FakeNodes) -> None:
    done = run_harness(cluster, "suites/nodes", "-q", "-p", "no:randomly")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert outcomes(cluster) == {f"{check}[{node}]": "passed" for check in CHECKS for node in NODES}
    namespace = run_namespace(cluster)
    pods = f"/api/v1/namespaces/{namespace}/pods"
    assert cluster.api.writes() == [
        "POST /api/v1/namespaces",
        *[f"POST {pods}"] * len(NODES),  # the preflight: the debug image once on every node
        *[f"DELETE {pods}/preflight-{node}-0" for node in NODES],
        *[f"POST {pods}"] * len(NODES),  # one node-debug pod per node
        f"DELETE /api/v1/namespaces/{namespace}",
    ]
    assert cluster.api.names("v1", "pods", namespace) == []
    for node in NODES:  # the facts were read on the node itself, not somewhere else
        ran = {command for where, command in fakenodes.commands if where == node}
        assert {"ip -o -4 addr show", "cat -- /sys/class/net/end0/speed", "date +%s",
                "df -Pk /host/var"} <= ran, ran


def test_a_node_that_cannot_run_the_debug_image_stops_the_run_first(
    cluster: FakeCluster, fakenodes: FakeNodes
) -> None:
    def wrong_arch_on_kwk1(pod: dict[str, Any]) -> dict[str, Any]:
        if pod["spec"]["nodeName"] != "kwk1":
            return succeeded_pod(pod)
        ended = {"terminated": {"exitCode": 1, "reason": "Error"}}
        return {"phase": "Failed", "containerStatuses": [
            {"name": "main", "image": pod["spec"]["containers"][0]["image"], "imageID": "",
             "ready": False, "restartCount": 0, "state": ended}]}

    cluster.api.pod_status = wrong_arch_on_kwk1
    cluster.api.log_for = lambda pod: "exec /bin/uname: exec format error"
    done = run_harness(cluster, "suites/nodes", "-q")
    assert done.returncode == 4, done.stdout[-3000:] + done.stderr[-3000:]
    assert "failed its preflight: 1 of 4 image/node pairs cannot run" in done.stderr
    assert "docker.io/library/alpine:3.20 cannot run on kwk1" in done.stderr
    assert "exec format error" in done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert fakenodes.commands == []  # no test ran
    assert cluster.api.names("v1", "namespaces") == []


def test_each_node_defect_fails_its_check_on_its_node(cluster: FakeCluster, fakenodes: FakeNodes) -> None:
    fakenodes.nodes["kwk1"].speed_mbit = 100  # a cable that negotiated Fast Ethernet
    fakenodes.nodes["kcp2"].mtu = 9000
    fakenodes.nodes["kcp3"].clock_offset_s = 30  # NTP broken
    fakenodes.nodes["kcp1"].var_free_kib = 512 * 1024
    done = run_harness(cluster, "suites/nodes", "-q", "-p", "no:randomly")
    assert done.returncode == 1, done.stdout[-4000:]
    failed = {o["test"]: o.get("message", "") for o in run_outcomes(cluster) if o["outcome"] == "failed"}
    expected = {
        "test_link_speed_and_mtu_match_the_profile[kwk1]":
            "kwk1 end0 runs at 100 Mbit/s (/sys/class/net/end0/speed), profile says 1000",
        "test_link_speed_and_mtu_match_the_profile[kcp2]": "kcp2 end0 MTU 9000, profile says 1500",
        "test_clock_is_synchronised[kcp3]": "kcp3 clock is +",  # 30 s ahead, in whole seconds
        "test_data_disk_has_room[kcp1]": "kcp1: /host/var has 0.5 GiB free, needs 2.0",
    }
    assert set(failed) == set(expected), done.stdout[-3000:]
    for test, message in expected.items():
        assert message in failed[test], failed[test][-1500:]
    assert cluster.api.names("v1", "namespaces") == []
