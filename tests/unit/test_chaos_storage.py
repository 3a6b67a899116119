"""The OSD-loss scenario's pieces without a cluster: I/O timeline metrics, fio's latency log,
the ok-to-stop guard rail when binding `storage.osd_node`, the plan and the shipped file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.chaos.catalogue import bind_roles
from harness.chaos.errors import GuardError
from harness.chaos.io_metrics import health_metrics, longest_stall, write_metrics
from harness.chaos.load import load_scenario
from harness.chaos.model import Aim
from harness.chaos.plan import plan_scenario
from harness.probes import Sample
from harness.workloads.fio import FioJob, FioOutputError, parse_latency_log, rbd_argv
from tests.unit.chaos_fakes import FakeTarget

REPO = Path(__file__).resolve().parents[2]
MIB4 = str(4 << 20)


def io(done_at: float, latency_s: float) -> Sample:
    return Sample(done_at - latency_s, True, latency_s, None, MIB4)


def test_longest_stall_is_the_widest_gap_between_completions_or_until_the_end() -> None:
    assert longest_stall([1.0, 1.1, 1.2, 26.0, 26.1], ended=27.0) == pytest.approx((24.8, 26.0))
    assert longest_stall([1.0, 1.1], ended=40.0) == pytest.approx((38.9, 40.0))  # never resumed
    assert longest_stall([], ended=5.0) == (0.0, None)


def test_write_metrics_read_stall_spike_and_continued_io_from_the_timeline() -> None:
    steady = [io(100 + i * 0.1, 0.2) for i in range(50)]  # before the fault at 105
    stuck = [io(130.0, 24.9)]  # submitted just after the fault, completed when peering ended
    degraded = [io(130 + i * 0.1, 0.3) for i in range(1, 41)]  # node still off until 140
    after_on = [io(141 + i * 0.1, 0.2) for i in range(10)]
    metrics = write_metrics("io", [*steady, *stuck, *degraded, *after_on], fault_at=105.0,
                            power_on_at=140.0, ended=142.5)
    assert metrics["io.longest_stall_s"] == pytest.approx(130.0 - 104.9)
    assert metrics["io.latency_p50_steady_ms"] == pytest.approx(200)
    assert metrics["io.latency_max_ms"] == pytest.approx(24900)
    assert metrics["io.latency_spike"] == pytest.approx(124.5)
    assert metrics["io.continued_mib"] == pytest.approx(41 * 4)
    assert metrics["io.completed"] == 101


def test_no_io_continued_when_the_stall_lasts_past_power_on() -> None:
    samples = [io(100 + i * 0.1, 0.2) for i in range(50)] + [io(150.0, 45.0)]
    metrics = write_metrics("io", samples, fault_at=105.0, power_on_at=140.0, ended=151.0)
    assert metrics["io.continued_mib"] == 0
    assert metrics["io.longest_stall_s"] == pytest.approx(150.0 - 104.9)


def health(at: float, value: str) -> Sample:
    return Sample(at, True, 0.2, None, value)


def test_health_metrics_time_back_to_ok_after_power_on() -> None:
    samples = [health(0, "HEALTH_OK"), health(30, "HEALTH_WARN degraded"),
               health(40, "HEALTH_WARN degraded"), health(50, "HEALTH_OK"), health(51, "HEALTH_WARN"),
               health(60, "HEALTH_OK"), health(61, "HEALTH_OK")]
    metrics = health_metrics("health", samples, power_on_at=45.0)
    assert metrics == {"health.degraded_samples": 2, "health.ok_after_power_on_s": 15.0}


def test_health_never_back_is_none() -> None:
    samples = [health(50, "HEALTH_OK"), health(60, "HEALTH_WARN degraded")]
    assert health_metrics("health", samples, power_on_at=45.0)["health.ok_after_power_on_s"] is None


def test_latency_log_parses_fio_lines_and_refuses_others() -> None:
    text = "1795473215852, 148846493, 1, 4194304, 0\n1795473215605, 129339643, 1, 4194304, 0\n"
    first, second = parse_latency_log(text)
    assert first.time == pytest.approx(1795473215.605) and first.latency_s == pytest.approx(0.129339643)
    assert second.size == 4 << 20
    with pytest.raises(FioOutputError, match="line 1"):
        parse_latency_log("not a log\n")


def test_background_writer_job_is_rate_capped_and_logs_every_io() -> None:
    job = FioJob("w", "write", "4M", rate_mib_s=40, latency_log="/tmp/x/io")
    argv = rbd_argv(job, pool="rbd", image="img")
    assert "--rate=40m" in argv and "--write_lat_log=/tmp/x/io" in argv
    assert "--log_avg_msec=0" in argv and "--log_unix_epoch=1" in argv


class FakeStorage:
    def __init__(self, may_stop: set[str]) -> None:
        self.may_stop, self.asked = may_stop, []

    def osd_nodes(self) -> list[str]:
        return ["cp1", "cp2", "cp3", "wk1"]

    def osd_ok_to_stop(self, node: str, timeout_s: float = 10.0) -> bool:
        self.asked.append(node)
        return node in self.may_stop


class StorageTarget(FakeTarget):
    def __init__(self, storage: FakeStorage) -> None:
        super().__init__()
        self._storage = storage

    @property
    def storage(self) -> Any:
        return self._storage


def test_osd_node_prefers_the_worker_when_ceph_lets_it_go() -> None:
    target = StorageTarget(FakeStorage({"cp2", "cp3", "wk1"}))
    assert bind_roles([Aim(target="storage.osd_node")], target=target) == {"storage.osd_node": "wk1"}


def test_osd_node_skips_the_vip_holder_and_nodes_ceph_refuses() -> None:
    storage = FakeStorage({"cp1", "cp3"})
    target = StorageTarget(storage)
    holder = target.controlplane.vip_holder()
    bound = bind_roles([Aim(target="storage.osd_node")], target=target)["storage.osd_node"]
    assert bound == ("cp3" if holder == "cp1" else "cp1")
    assert holder not in storage.asked and "wk1" in storage.asked


def test_refused_when_ok_to_stop_refuses_every_candidate() -> None:
    with pytest.raises(GuardError, match="ok-to-stop"):
        bind_roles([Aim(target="storage.osd_node")], target=StorageTarget(FakeStorage(set())))


def test_shipped_scenario_loads_and_plans_the_guard_rail() -> None:
    from tests.unit.chaos_fakes import fake_profile

    scenario = load_scenario(REPO / "scenarios" / "osd-node-power-loss.yaml")
    plan = plan_scenario(scenario, profile=fake_profile(), source="x", lock_path=Path("/tmp/l"),
                         describe_fault=lambda action, node, service, duration, rate: f"{action} {node}")
    text = plan.text()
    assert "ok-to-stop" in text and "one of wk1, cp1, cp2, cp3" in text
    assert "fio writes 4 MiB blocks" in text and plan.refused is None
