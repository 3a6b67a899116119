"""The lab's plan from a profile: names, rates, command lines, keepalived config, defects."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.profile import Profile, load_profile
from harness.targets.lab import lifecycle
from harness.targets.lab.config import (
    LabPlan,
    etcd_argv,
    keepalived_conf,
    make_plan,
    notify_script,
    shaped_rate_kbit,
    veth_name,
)
from harness.targets.lab.etcd_api import parse_status

REPO = Path(__file__).resolve().parents[2]
LAB = load_profile(REPO / "profiles" / "lab.yaml")


def with_lab(profile: Profile, **changes: object) -> Profile:
    return profile.model_copy(update={"lab": profile.lab.model_copy(update=changes)})


def test_links_are_shaped_to_the_gigabit_wire_fraction() -> None:
    assert shaped_rate_kbit(1000) == 984395  # 1000 x 1514/1538: goodput lands on 941 Mbit/s
    plan = make_plan(LAB)
    assert {n.rate_kbit for n in plan.nodes} == {984395}
    assert [n.root_iface for n in plan.nodes] == ["hlab0-cp1", "hlab0-cp2", "hlab0-cp3", "hlab0-wk1"]


def test_long_node_names_still_fit_the_kernel_limit() -> None:
    assert veth_name("hlab0", "a-very-long-node", 7) == "hlab0-n7"


def test_plan_runs_etcd_and_keepalived_on_the_control_plane_only() -> None:
    plan = make_plan(LAB)
    assert [n.name for n in plan.etcd_members] == ["cp1", "cp2", "cp3"]
    assert plan.services("cp2") == ("etcd", "keepalived")
    assert plan.services("wk1") == ()
    assert (plan.vip, plan.port, plan.prevote, plan.vrrp, plan.static_vip) == (
        "198.18.0.10", 2379, True, True, None)


def test_etcd_keeps_pre_vote_and_lists_every_member() -> None:
    argv = etcd_argv(make_plan(LAB), "cp2")
    assert "--pre-vote=true" in argv
    cluster = argv[argv.index("--initial-cluster") + 1]
    assert cluster == ("cp1=http://198.18.0.11:2380,cp2=http://198.18.0.12:2380,"
                       "cp3=http://198.18.0.13:2380")
    assert argv[argv.index("--data-dir") + 1] == "/run/cluster-harness/lab/etcd/cp2"


def test_keepalived_tracks_liveness_and_quorum_of_the_local_member() -> None:
    conf = keepalived_conf(make_plan(LAB), "cp1")
    assert "http://198.18.0.11:2379/version" in conf
    assert "http://198.18.0.11:2379/health" in conf
    assert "--noproxy" in conf  # lab traffic never goes to a proxy
    assert conf.count("fall 2") == 1 and conf.count("fall 5") == 1
    assert "state BACKUP" in conf and "nopreempt" in conf
    assert "vrrp_garp_lower_prio_repeat 3" in conf and "vrrp_garp_master_refresh 10" in conf
    assert "198.18.0.10/24 dev eth0" in conf
    assert 'notify "/run/cluster-harness/lab/keepalived/notify.sh cp1"' in conf


def test_notify_script_appends_epoch_node_and_state() -> None:
    script = notify_script(make_plan(LAB))
    assert '"$(date +%s.%N)" "$1" "$4" >> /run/cluster-harness/lab/vip-events.log' in script


def test_defects_change_the_plan() -> None:
    stuck = make_plan(with_lab(LAB, defects=["vip-stuck"]))
    assert stuck.vrrp_nodes == () and stuck.static_vip_node() == "cp1"
    two = make_plan(with_lab(LAB, defects=["etcd-two-members"]))
    assert [n.name for n in two.etcd_members] == ["cp1", "cp2"]
    assert two.services("cp3") == ("keepalived",)
    assert "cp3=" not in etcd_argv(two, "cp1")[etcd_argv(two, "cp1").index("--initial-cluster") + 1]
    assert "--pre-vote=false" in etcd_argv(make_plan(with_lab(LAB, defects=["etcd-no-prevote"])), "cp1")
    slow = make_plan(with_lab(LAB, defects=["slow-link:wk1"]))
    assert slow.node("wk1").rate_kbit == 984395 // 10
    assert slow.node("cp1").rate_kbit == 984395


def _cluster_of(plan: LabPlan, node: str) -> str:
    argv = etcd_argv(plan, node)
    return argv[argv.index("--initial-cluster") + 1]


def test_control_plane_defects_change_the_plan() -> None:
    split = make_plan(with_lab(LAB, defects=["etcd-split-brain"]))
    assert _cluster_of(split, "cp3") == "cp3=http://198.18.0.13:2380"
    assert "cp3=" not in _cluster_of(split, "cp1")
    assert [n.name for n in split.etcd_members] == ["cp1", "cp2", "cp3"]  # still configured
    slow = make_plan(with_lab(LAB, defects=["etcd-slow-election"]))
    assert "5000" in etcd_argv(slow, "cp2")
    assert "--election-timeout" not in etcd_argv(make_plan(LAB), "cp2")
    stalled = etcd_argv(make_plan(with_lab(LAB, defects=["etcd-stalled-election"])), "cp1")
    assert stalled[stalled.index("--election-timeout") + 1] == "15000"
    assert stalled[stalled.index("--heartbeat-interval") + 1] == "1500" and "--pre-vote=true" in stalled
    tuned = etcd_argv(make_plan(with_lab(LAB, defects=["etcd-no-prevote-slow"])), "cp1")
    assert "--pre-vote=false" in tuned and tuned[tuned.index("--election-timeout") + 1] == "2500"
    unassigned = make_plan(with_lab(LAB, defects=["vip-unassigned"]))
    assert (unassigned.vrrp_nodes, unassigned.static_vip, unassigned.vip_served) == ((), None, False)
    worker = make_plan(with_lab(LAB, defects=["vip-on-worker"]))
    assert (worker.static_vip, worker.vip_served) == ("wk1", False)
    congested = make_plan(with_lab(LAB, defects=["congested-switch"]))
    assert {n.rate_kbit for n in congested.nodes} == {512}


def test_up_refuses_non_root_in_one_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.geteuid", lambda: 1000)
    with pytest.raises(HarnessError, match=r"^the lab needs root: run as root \(sudo\)$"):
        lifecycle.preflight(make_plan(LAB))


def test_up_names_missing_packages_and_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.geteuid", lambda: 0)
    monkeypatch.setattr("shutil.which", lambda name, path=None: None if name in
                        ("etcd", "keepalived") else f"/usr/bin/{name}")
    with pytest.raises(HarnessError) as caught:
        lifecycle.preflight(make_plan(LAB))
    assert str(caught.value) == ("the lab needs Debian packages etcd-server keepalived: "
                                 "apt-get install etcd-server keepalived")


def test_up_refuses_addresses_outside_the_lab_range(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.geteuid", lambda: 0)
    monkeypatch.setattr("shutil.which", lambda name, path=None: f"/usr/bin/{name}")
    profile = with_lab(LAB, workstation_address="10.0.0.1")
    with pytest.raises(HarnessError, match=r"must stay in 198\.18\.0\.0/15"):
        lifecycle.preflight(make_plan(profile))


def test_member_status_from_the_gateway_json() -> None:
    status = parse_status({"header": {"cluster_id": "1", "member_id": "42", "raft_term": "3"},
                           "version": "3.4.23", "leader": "42", "raftTerm": "3"})
    assert (status.member_id, status.leader_id, status.raft_term, status.version) == (42, 42, 3, "3.4.23")
    assert parse_status({"header": {"member_id": "7"}}).leader_id == 0
