"""The lab's LoadBalancer plan (lb.py), pure: the address from the pool (or right after it under
`lb-ip-outside-pool`), one VRRP group for all nodes (one per node under `announcer-split`), and
the nftables spread (one backend under `lb-single-backend`). And the lab's progress lines."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.profile import load_profile
from harness.targets.base import TargetError
from harness.targets.lab import lb
from harness.targets.lab.config import LabPlan, make_plan
from harness.targets.network import POD_PORTS, Pod

REPO = Path(__file__).resolve().parents[2]
POOL = [f"198.18.0.{i}" for i in range(100, 128)]
BACKENDS = [Pod(name=f"web-{i}", namespace="lb-web", node=n, address=f"198.19.1{i + 1}.5", labels={})
            for i, n in enumerate(("cp1", "cp2", "cp3"))]


def plan(tmp_path: Path) -> LabPlan:
    profile = load_profile(REPO / "profiles" / "lab.yaml")
    lab = profile.lab.model_copy(update={"state_dir": tmp_path})
    return make_plan(profile.model_copy(update={"lab": lab}))


def vrids(lab: LabPlan, service: lb.LbService) -> list[int]:
    return [int(re.search(r"virtual_router_id (\d+)", lb.keepalived_conf(lab, service, n))[1])  # type: ignore[index]
            for n in service.preference]


def test_the_address_comes_from_the_pool_and_one_vrrp_group_announces_it(tmp_path: Path) -> None:
    lab = plan(tmp_path)
    service = lb.plan_service(lab, name="web", pool=POOL, backends=BACKENDS, defects=set())
    assert service.ip == "198.18.0.100"
    assert service.preference[0] == "wk1"  # the node without a backend announces first
    assert len(set(vrids(lab, service))) == 1


def test_defects_move_the_address_off_the_pool_and_split_the_group(tmp_path: Path) -> None:
    lab = plan(tmp_path)
    outside = lb.plan_service(lab, name="web", pool=POOL, backends=BACKENDS, defects={"lb-ip-outside-pool"})
    assert outside.ip == "198.18.0.128"
    split = lb.plan_service(lab, name="web", pool=POOL, backends=BACKENDS, defects={"announcer-split"})
    ids = vrids(lab, split)
    assert len(set(ids)) == 4 and 51 not in ids and all(1 <= i <= 255 for i in ids)
    single = lb.plan_service(lab, name="web", pool=POOL, backends=BACKENDS, defects={"lb-single-backend"})
    assert "0 : 198.19.11.5 }" in lb.nft_rules(single)
    assert "1 : 198.19.12.5" in lb.nft_rules(lb.plan_service(lab, name="w", pool=POOL, backends=BACKENDS,
                                                              defects=set()))


def test_wrong_target_port_sends_every_backend_to_a_port_no_pod_serves(tmp_path: Path) -> None:
    wrong = lb.plan_service(plan(tmp_path), name="web", pool=POOL, backends=BACKENDS,
                            defects={"lb-wrong-target-port"})
    rules = lb.nft_rules(wrong)
    assert ("dnat ip addr . port to numgen inc mod 3 map "
            "{ 0 : 198.19.11.5 . 8080, 1 : 198.19.12.5 . 8080") in rules
    assert lb.WRONG_TARGET_PORT not in POD_PORTS.values()
    assert "tcp dport 80 " in rules  # the service's own port is unchanged: only the target is wrong


def test_no_address_beyond_the_lab_subnet(tmp_path: Path) -> None:
    with pytest.raises(TargetError, match=r"no address after 198\.18\.0\.255"):
        lb.plan_service(plan(tmp_path), name="web", pool=["198.18.0.255"], backends=BACKENDS,
                        defects={"lb-ip-outside-pool"})


def test_the_lab_says_each_finished_step_of_up(tmp_path: Path) -> None:
    from harness.targets.lab import LabTarget
    from harness.targets.lab.lifecycle import Step

    profile = load_profile(REPO / "profiles" / "lab.yaml")
    lab = profile.lab.model_copy(update={"state_dir": tmp_path})
    target = LabTarget(profile.model_copy(update={"lab": lab}))
    lines: list[str] = []
    target.show_progress(lines.append)
    target.lab.progress(Step("etcd"))  # started: nothing to say yet
    target.lab.progress(Step("etcd", 0.114, "cp1 cp2 cp3"))
    target.lab.progress(Step("keepalived", 0.02))
    assert lines == ["lab up: etcd 0.11 s  cp1 cp2 cp3", "lab up: keepalived 0.02 s"]


def test_enforcement_mode_always_isolates_pods_no_policy_selects() -> None:
    from harness.targets.lab.policy_enforcer import Compiler

    pod = Pod(name="a", namespace="x", node="cp1", address="198.19.11.5", labels={"app": "a"})
    default, always = Compiler([pod], {"x": {}}), Compiler([pod], {"x": {}}, always=True)
    assert "policy accept;" in default.table(pod, egress=True)
    assert "policy drop;" not in default.table(pod, egress=True)
    table = always.table(pod, egress=True)
    assert table.count("policy drop;") == 2  # ingress and egress
    assert "ct direction reply accept" in table and "ct state related accept" in table
    assert "established" not in table  # a flow's original direction is judged on every packet
