"""The HA control plane: members, leadership, the shared VIP and API latency through it.

Runs unchanged on every target: the lab's etcd + keepalived, or Talos' etcd + VIP.
"""

from __future__ import annotations

import statistics
import time

import pytest

from harness.metrics import API_ROUNDTRIP_P50, API_ROUNDTRIP_P99
from harness.plugin import Measure
from harness.profile import Profile
from harness.targets.base import Target, TargetError

ROUNDTRIPS = 200
ROUNDTRIP_BUDGET_S = 60.0
MAX_FAILURES = 5


def test_all_members_healthy(target: Target, profile: Profile) -> None:
    """Every control-plane node runs a healthy member, and the members themselves agree: one
    cluster ID, and each one's own member list names exactly the profile's control plane (as
    far as the target can ask them; the lab's etcd can, Talos' not yet)."""
    expected = sorted(node.name for node in profile.controlplane_nodes())
    members = target.controlplane.members()
    assert sorted(m.node for m in members) == expected, "configured members differ from the profile"
    unhealthy = {m.node: m.error for m in members if not m.healthy}
    assert not unhealthy, f"unhealthy members: {unhealthy}"
    clusters = {m.node: m.cluster_id for m in members if m.cluster_id is not None}
    assert len(set(clusters.values())) <= 1, f"members belong to different clusters: {clusters}"
    for member in members:
        if member.peers is not None:
            assert sorted(member.peers) == expected, (
                f"{member.node}'s etcd lists members {sorted(member.peers)}, the profile {expected}")


def test_exactly_one_leader(target: Target) -> None:
    members = target.controlplane.members()
    leaders = sorted(m.node for m in members if m.is_leader)
    assert len(leaders) == 1, f"expected exactly one leader, found {leaders or 'none'}"


def test_vip_answers(target: Target) -> None:
    try:
        target.controlplane.roundtrip(timeout_s=2.0)
    except TargetError as error:
        pytest.fail(f"no API roundtrip through the VIP {target.controlplane.endpoint}: {error}")


def test_vip_held_by_a_controlplane_node(target: Target, profile: Profile) -> None:
    holder = target.controlplane.vip_holder()
    controlplane = [node.name for node in profile.controlplane_nodes()]
    assert holder is not None, f"nobody holds the VIP {target.controlplane.endpoint}"
    assert holder in controlplane, f"the VIP is held by {holder}, not a control-plane node"


def test_member_reachable_directly(target: Target, controlplane_node: str) -> None:
    try:
        target.controlplane.roundtrip_direct(controlplane_node, timeout_s=2.0)
    except TargetError as error:
        pytest.fail(f"member on {controlplane_node} does not answer directly: {error}")


@pytest.mark.benchmark
def test_api_roundtrip_latency(target: Target, profile: Profile, measure: Measure) -> None:
    latencies_ms: list[float] = []
    failures: list[str] = []
    deadline = time.monotonic() + ROUNDTRIP_BUDGET_S
    # Bounded three ways: count, time, and a few failures (a dead VIP costs seconds per try).
    while len(latencies_ms) < ROUNDTRIPS and time.monotonic() < deadline and len(failures) < MAX_FAILURES:
        began = time.perf_counter()
        try:
            target.controlplane.roundtrip(timeout_s=2.0)
        except TargetError as error:
            failures.append(str(error))
            continue
        latencies_ms.append((time.perf_counter() - began) * 1000)
    assert not failures, f"{len(failures)} roundtrips failed, first: {failures[0]}"
    assert len(latencies_ms) >= 20, f"only {len(latencies_ms)} roundtrips in {ROUNDTRIP_BUDGET_S:g} s"
    p50 = statistics.median(latencies_ms)
    p99 = statistics.quantiles(latencies_ms, n=100)[98]
    measure.figure(API_ROUNDTRIP_P50, p50)
    measure.figure(API_ROUNDTRIP_P99, p99)
    limit = profile.expectations.api_roundtrip_p99_max_ms
    assert p99 <= limit, f"API roundtrip p99 {p99:.1f} ms exceeds the profile's {limit:g} ms (p50 {p50:.1f})"
    assert len(latencies_ms) == ROUNDTRIPS, f"only {len(latencies_ms)} roundtrips in {ROUNDTRIP_BUDGET_S:g} s"
