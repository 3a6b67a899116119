"""`suites/network` runs unchanged with `--target kubernetes` against the fake API (what the fake
network decides is documented in `fakenet.py`), creates exactly the objects it should, removes
them all, and fails when the fake network misbehaves (no enforcement, one backend). The netperf
module's round trips run when the profile names a sockperf image and skip, saying so, when not."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest

from harness.targets.kubernetes.netthroughput import NO_SOCKPERF_IMAGE
from harness.workloads import sockperf
from suites.network.policy_cases import CASES as POLICY_CASES
from tests.kubernetes.fakecluster import FakeCluster
from tests.kubernetes.fakenet import SOCKPERF_REPORT, FakeNetwork
from tests.kubernetes.test_network_on_fake_api import CLUSTER_POOL, fake_profile
from tests.kubernetes.test_suites_on_fakes import run_harness

PODS = 9
PORTS = 3 * 2  # 80, 81 and 53, over TCP and UDP
CASES = len(POLICY_CASES)  # 14: the entity cases run on the pods alone here (no peers)


@pytest.fixture
def fakenet(cluster: FakeCluster) -> Iterator[FakeNetwork]:
    found = FakeNetwork(cluster.api, cluster_pool=CLUSTER_POOL).install()
    cluster.profile_path = fake_profile(cluster)
    yield found
    found.close()


def created(cluster: FakeCluster, kind: str) -> list[str]:
    return [c.path for c in cluster.api.calls if c.method == "POST" and c.path.endswith(kind)]


def test_network_suites_pass_on_the_fakes_and_clean_up(cluster: FakeCluster, fakenet: FakeNetwork) -> None:
    done = run_harness(cluster, "suites/network", "-q", "-p", "no:randomly", timeout_s=600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert f"{12 + 4 + 4 + CASES} passed" in done.stdout, done.stdout[-1500:]
    namespaces = sorted({p.rsplit("/", 2)[-2] for p in created(cluster, "/pods")})
    run = namespaces[0]
    assert namespaces == [run, f"{run}-lb-web", f"{run}-throughput", f"{run}-x", f"{run}-y", f"{run}-z"]
    assert len(created(cluster, "/jobs")) == 12 + 4  # one iperf3 client per pair
    ccnp_cases = sum("CiliumClusterwideNetworkPolicy" in text for text in POLICY_CASES.values())
    assert created(cluster, "/ciliumclusterwidenetworkpolicies") == [
        "/apis/cilium.io/v2/ciliumclusterwidenetworkpolicies"] * ccnp_cases
    # Every source probed every other pod on every port and protocol, once per case.
    assert len(fakenet.probes) == CASES * PODS * (PODS - 1) * PORTS
    assert cluster.api.names("v1", "namespaces") == []
    assert cluster.api.names("cilium.io/v2", "ciliumclusterwidenetworkpolicies") == []


def test_policy_checks_fail_when_the_cluster_enforces_nothing(cluster: FakeCluster,
                                                              fakenet: FakeNetwork) -> None:
    fakenet.allow = lambda source, address, port, protocol: True
    done = run_harness(cluster, "suites/network/test_policies.py", "-q", "-k", "default-deny or no-policies")
    assert done.returncode == 1, done.stdout[-3000:]
    assert "1 failed, 1 passed" in done.stdout
    assert "expected denied, observed allowed" in done.stdout or "denied" in done.stdout
    assert cluster.api.names("v1", "namespaces") == []


def test_lb_checks_fail_when_one_backend_takes_everything(cluster: FakeCluster,
                                                          fakenet: FakeNetwork) -> None:
    fakenet.single_backend = True
    done = run_harness(cluster, "suites/network/test_loadbalancer.py", "-q")
    assert done.returncode == 1, done.stdout[-3000:]
    assert "got no traffic" in done.stdout and "1 failed, 3 passed" in done.stdout


def test_round_trips_run_on_every_netperf_path_with_a_sockperf_image(cluster: FakeCluster,
                                                                     fakenet: FakeNetwork) -> None:
    cluster.profile_path = fake_profile(cluster, images={"sockperf": "registry.example/sockperf:3.7-1"})
    done = run_harness(cluster, "suites/network/test_netperf.py", "-m", "benchmark", "-k", "round_trip",
                       "-q", "-rs", "-p", "no:randomly")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "3 passed" in done.stdout and "skipped" not in done.stdout, done.stdout[-1500:]
    assert len(created(cluster, "/jobs")) == 3 * 3  # a ping-pong client per run, 3 runs per path
    assert cluster.api.names("v1", "namespaces") == []
    # Every run answered with the lab's recorded summary: the figures are its own.
    trips = sockperf.parse(SOCKPERF_REPORT.read_text(), client="", server="")
    [run] = (cluster.root / "runs").glob("run-*.json")
    recorded = {m["metric"]: m for m in json.loads(run.read_text())["measurements"]}
    for kind in ("node_to_node", "pod_to_pod", "pod_to_service"):
        p99 = recorded[f"network.{kind}.round_trip.p99"]
        assert p99["value"] == trips.p99_us / 1000 and p99["samples"] == [trips.p99_us / 1000] * 3
        assert recorded[f"network.{kind}.round_trip.rate"]["value"] == trips.per_second


def test_round_trips_skip_saying_how_to_set_the_image_without_one(cluster: FakeCluster,
                                                                   fakenet: FakeNetwork) -> None:
    done = run_harness(cluster, "suites/network/test_netperf.py", "-m", "benchmark", "-k", "round_trip",
                       "-q", "-rs", "-p", "no:randomly")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "3 skipped" in done.stdout, done.stdout[-1500:]
    # pytest folds the three paths' identical skips into one line.
    skipped = r"SKIPPED \[3\] suites/network/test_netperf.py:\d+: " + re.escape(NO_SOCKPERF_IMAGE)
    assert re.search(skipped, done.stdout), done.stdout[-1500:]
    assert created(cluster, "/jobs") == []
