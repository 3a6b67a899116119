"""Ceph, fio and rados bench parsers on real outputs captured from the lab (tests/unit/data)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.workloads.ceph_status import (
    CephOutputError,
    parse_health_detail,
    parse_ok_to_stop,
    parse_pools,
    parse_rados_bench,
    parse_status,
)
from harness.workloads.fio import SEQ_READ_4M, SEQ_WRITE_4M, FioOutputError, parse_fio, rbd_argv

DATA = Path(__file__).parent / "data"


def text(name: str) -> str:
    return (DATA / name).read_text()


def test_healthy_status() -> None:
    status = parse_status(text("ceph-status-healthy.json"))
    assert status.health == "HEALTH_OK" and status.checks == ()
    assert (status.mons, status.osds, status.osds_up, status.osds_in) == (3, 4, 4, 4)
    assert status.all_pgs_active_clean and status.pgs == 129 and not status.degraded
    assert status.warnings_except([]) == []


def test_degraded_status() -> None:
    status = parse_status(text("ceph-status-degraded.json"))
    assert status.health == "HEALTH_WARN"
    assert {c.code for c in status.checks} == {"OSD_DOWN", "OSD_HOST_DOWN", "PG_AVAILABILITY"}
    assert (status.osds_up, status.osds_in) == (3, 4)
    assert not status.all_pgs_active_clean
    assert status.pgs_by_state["peering"] == 108
    assert status.pgs_active == 101  # stale+active+clean does not serve I/O
    assert status.rgw_daemons == 1 and status.quorum == ("a", "b", "c")
    assert [c.code for c in status.warnings_except(["OSD_DOWN", "OSD_HOST_DOWN"])] == ["PG_AVAILABILITY"]
    assert "osds 3 up 4 in of 4" in status.summary()


def test_health_detail() -> None:
    assert parse_health_detail(text("ceph-health-detail-ok.json"))[:2] == ("HEALTH_OK", ())
    status, checks, details = parse_health_detail(text("ceph-health-detail-full-ERR.json"))
    assert status == "HEALTH_ERR" and {c.code for c in checks} == {"OSD_FULL", "POOL_FULL"}
    assert {c.code: c.severity for c in checks}["OSD_FULL"] == "HEALTH_ERR"
    assert any("full" in line for line in details["OSD_FULL"])
    _, checks, details = parse_health_detail(text("ceph-health-detail-degraded.json"))
    assert {c.code for c in checks} == {"OSD_DOWN", "OSD_HOST_DOWN", "PG_AVAILABILITY", "PG_DEGRADED"}
    assert len(details["PG_DEGRADED"]) == 39


def test_pools_from_the_lab() -> None:
    pools = {p.name: p for p in parse_pools(text("ceph-osd-pool-ls-detail.json"))}
    assert (pools["rbd"].size, pools["rbd"].min_size, pools["rbd"].pg_num) == (3, 2, 32)
    assert pools["rbd"].application == ("rbd",)


def test_ok_to_stop() -> None:
    assert parse_ok_to_stop(0, '{"ok_to_stop":true,"osds":[3]}') == (True, "ok to stop")
    refusal = "Error EBUSY: unsafe to stop osd(s) at this time (33 PGs are or would become offline)"
    ok, why = parse_ok_to_stop(16, refusal)
    assert not ok and "unsafe" in why


def test_bad_outputs_raise_our_error() -> None:
    for bad in ("", "not json", "[]"):
        with pytest.raises(CephOutputError):
            parse_status(bad)
    with pytest.raises(FioOutputError):
        parse_fio('{"jobs": []}')
    with pytest.raises(CephOutputError):
        parse_rados_bench("Total time run: 3\n")


def test_fio_rbd_engine() -> None:
    result = parse_fio("librbd warning line\n" + text("fio-rbd-engine.json"))
    assert result.rw == "write" and result.errors == 0
    assert result.bandwidth_mib_s == pytest.approx(102175989 / 2**20)
    assert result.io_mib == pytest.approx(2008, abs=1)
    assert result.clat_p50_ms == pytest.approx(658.5, abs=0.1)
    assert result.clat_p99_ms == pytest.approx(952.1, abs=0.1)
    assert result.clat_max_ms == pytest.approx(1177.7, abs=0.1)


def test_fio_command_is_bounded() -> None:
    argv = rbd_argv(SEQ_WRITE_4M, pool="rbd", image="img")
    assert "--ioengine=rbd" in argv and "--size=2G" in argv and "--time_based" not in argv
    assert "--time_based" in rbd_argv(SEQ_READ_4M, pool="rbd", image="img")


@pytest.mark.parametrize(("name", "mib_s", "ops"), [("rados-bench-write.txt", 111.534, 573),
                                                     ("rados-bench-seq.txt", 113.964, 573),
                                                     ("rados-bench-rand.txt", None, None)])
def test_rados_bench(name: str, mib_s: float | None, ops: int | None) -> None:
    bench = parse_rados_bench(text(name))
    assert bench.op_size == 4 << 20 and bench.latency_max_ms > bench.latency_avg_ms > 0
    if mib_s is not None:
        assert (bench.bandwidth_mib_s, bench.ops) == (mib_s, ops)
