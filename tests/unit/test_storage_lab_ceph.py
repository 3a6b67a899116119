"""The lab's Ceph plan and ceph.conf: the settings LAB-NOTES found necessary, the seeded defects."""

from __future__ import annotations

from pathlib import Path

from harness.profile import load_profile
from harness.targets.lab.ceph_config import (
    STALE_STATS_PERIOD_S,
    ceph_conf,
    client_node,
    daemon_argv,
    make_ceph_plan,
)
from harness.targets.lab.config import make_plan

LAB = Path(__file__).resolve().parents[2] / "profiles" / "lab.yaml"


def plan_with(*defects: str, storage: bool = True):  # type: ignore[no-untyped-def]
    profile = load_profile(LAB)
    profile = profile.model_copy(update={
        "lab": profile.lab.model_copy(update={"defects": list(defects), "storage": storage}),
        "storage": profile.storage.model_copy(update={"enabled": True})})
    return make_ceph_plan(make_plan(profile))


def test_shape_follows_the_profile() -> None:
    plan = plan_with()
    assert plan.lab.storage
    assert [m.name for m in plan.mons] == ["cp1", "cp2", "cp3"] and plan.mgr.name == "cp1"
    assert plan.rgw.name == "wk1" and len(plan.nodes) == 4
    assert (plan.rbd_size, plan.rbd_min_size) == (3, 2)
    assert plan.daemons("wk1") == ("ceph-osd", "radosgw") and plan.daemons("cp1")[0] == "ceph-mon"


def test_client_has_its_own_address_and_link() -> None:
    client = client_node(plan_with().lab)
    assert client.address == "198.18.0.254" and client.name == "hlab0-cl"
    assert len(client.root_iface) <= 15 and client.rate_kbit == plan_with().lab.nodes[0].rate_kbit


def test_conf_has_the_lines_that_mattered() -> None:
    plan = plan_with()
    conf = ceph_conf(plan, "fsid-1")
    global_part = conf.partition("[mon]")[0]
    assert "keyring" not in global_part  # in [global] it overrides the daemons' own keyrings
    client_part = conf.split("[client]")[1].split("[")[0]
    assert f"keyring = {plan.admin_keyring}" in client_part and "$pid.$cctid.asok" in client_part
    assert "crush_location = root=default host=wk1" in conf
    assert "bluestore_block_create = true" in conf and "\nbluestore_block_path" not in conf
    for line in ("osd_pool_default_pg_autoscale_mode = off", "auth_allow_insecure_global_id_reclaim = false",
                 "mon_data_avail_warn = 1", "osd_memory_target"):
        assert line in conf
    assert daemon_argv(plan, "ceph-osd", "wk1")[:4] == ["ceph-osd", "-f", "-i", "3"]


def test_storage_defects() -> None:
    assert plan_with("osd-down:cp2").daemons("cp2") == ("ceph-mon",)
    small = plan_with("pool-size-2")
    assert (small.rbd_size, small.rbd_min_size) == (2, 1) and small.size == 3
    assert "radosgw" not in plan_with("rgw-down").daemons("wk1")


def test_storage_off_by_lab_switch() -> None:
    profile = load_profile(LAB)
    assert make_plan(profile.model_copy(update={
        "lab": profile.lab.model_copy(update={"storage": False})})).storage is False


def test_cpu_starved_and_no_autostart_defects_name_their_daemons() -> None:
    assert plan_with().cpu_starved == () and plan_with().no_autostart is None
    assert plan_with("osd-cpu-starved:cp2").cpu_starved == (("cp2", "ceph-osd"),)
    assert plan_with("rgw-cpu-starved").cpu_starved == (("wk1", "radosgw"),)
    both = plan_with("osd-slow-markdown", "osd-no-autostart:wk1")
    assert both.no_autostart == "wk1" and both.heartbeat_grace_s == 120
    assert "ceph-osd" in both.daemons("wk1")  # it runs until the node's first power loss


def test_stale_stats_defect_sets_a_period_past_any_scenario() -> None:
    assert plan_with().stats_period_s is None
    assert plan_with("mgr-stats-stale").stats_period_s == STALE_STATS_PERIOD_S >= 300
