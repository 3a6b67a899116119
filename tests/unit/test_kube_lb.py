"""The Kubernetes lab's LB controller, its pure parts: pool addresses as Cilium's LB-IPAM reads
them, selectors as Cilium reads a missing one, the plan handed to the controller process, and
the kubernetes target's reading of a Lease (a holder that stopped renewing holds nothing)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from harness.profile import load_profile
from harness.targets.kubernetes.netmanifests import lease_holder, lease_name
from harness.targets.lab import kube_lb, labs_here
from harness.targets.lab.config import make_plan

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 12, 2, 12, 0, 0, tzinfo=UTC)


def pool(*blocks: dict[str, str], **spec: object) -> dict[str, object]:
    return {"metadata": {"name": "p"}, "spec": {"blocks": list(blocks), **spec}}


def test_pool_blocks_start_stop_whole_and_cidrs_without_network_and_broadcast() -> None:
    assert kube_lb.pool_addresses(pool({"start": "198.18.0.100", "stop": "198.18.0.102"})) == [
        "198.18.0.100", "198.18.0.101", "198.18.0.102"]
    assert kube_lb.pool_addresses(pool({"cidr": "198.18.0.96/30"})) == ["198.18.0.97", "198.18.0.98"]
    assert kube_lb.pool_addresses(pool({"cidr": "198.18.0.96/30"}, allowFirstLastIPs="Yes")) == [
        "198.18.0.96", "198.18.0.97", "198.18.0.98", "198.18.0.99"]
    assert kube_lb.pool_addresses(pool({"cidr": "198.18.0.96/31"})) == ["198.18.0.96", "198.18.0.97"]
    assert kube_lb.pool_addresses(pool({"start": "198.18.0.100"})) == ["198.18.0.100"]
    assert kube_lb.pool_addresses(pool({"cidr": "198.18.0.96/30"}, disabled=True)) == []
    # Pools written before Cilium 1.15 name their blocks `cidrs`.
    assert kube_lb.pool_addresses({"spec": {"cidrs": [{"cidr": "198.18.0.8/32"}]}}) == ["198.18.0.8"]


def test_a_missing_selector_selects_everything_an_invalid_one_nothing() -> None:
    assert kube_lb.selects(None, {})
    assert kube_lb.selects({}, {"a": "b"})
    assert kube_lb.selects({"matchLabels": {"a": "b"}}, {"a": "b", "c": "d"})
    assert not kube_lb.selects({"matchLabels": {"a": "b"}}, {"a": "x"})
    assert kube_lb.selects({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["x"]}]}, {})
    assert not kube_lb.selects({"matchExpressions": [{"key": "a", "operator": "Near"}]}, {"a": "b"})


def test_the_plan_reaches_the_controller_process_unchanged() -> None:
    profile = load_profile(REPO / "profiles" / "lab-kubernetes.yaml")
    lab = profile.lab.model_copy(update={"defects": ["announcer-stuck"]})
    plan = make_plan(profile.model_copy(update={"lab": lab}))
    assert labs_here.plan_from_json(labs_here.plan_to_json(plan)) == plan


def test_a_lease_is_held_while_renewed_within_its_duration() -> None:
    def lease(renewed: datetime | None, holder: str | None = "wk1") -> dict[str, object]:
        spec: dict[str, object] = {"holderIdentity": holder, "leaseDurationSeconds": 15}
        if renewed is not None:
            spec["renewTime"] = renewed.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return {"spec": spec}

    assert lease_holder(lease(NOW - timedelta(seconds=14)), NOW) == "wk1"
    assert lease_holder(lease(NOW - timedelta(seconds=16)), NOW) is None
    assert lease_holder(lease(None), NOW) == "wk1"  # never renewed: no clock to judge it by
    assert lease_holder(lease(NOW, holder=""), NOW) is None  # released
    assert lease_holder({}, NOW) is None
    assert lease_name("ns", "web") == "cilium-l2announce-ns-web"
