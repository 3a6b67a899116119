"""Storage twins: `rbd bench` and `rados bench` command lines, the `rbd bench` parser on output
captured from the lab, and the two judgements a figure gets (against min(roofline, twin), and
the twin against the roofline)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.roofline import Ceiling
from harness.workloads import cephbench
from harness.workloads.ceph_status import CephOutputError
from harness.workloads.cephbench import Twin
from suites.storage.twins import judge_against_twin

DATA = Path(__file__).parent / "data"
LINK = Ceiling(mib_s=112.2, bottleneck="client up", load=1.0)


def twin(mib_s: float) -> Twin:
    return Twin(command="rbd bench --io-type write ... rbd/t", bandwidth_mib_s=mib_s, where="hlab0-cl")


def test_rbd_bench_rate_is_ops_times_size_over_time() -> None:
    bench = cephbench.parse_rbd_bench((DATA / "rbd-bench-write.txt").read_text())
    # elapsed: 7   ops: 128   ops/sec: 18.2336   bytes/sec: 73 MiB/s (lab, 2026-12-02)
    assert bench.ops == 128
    assert bench.bandwidth_mib_s == pytest.approx(18.2336 * 4)
    assert bench.seconds == pytest.approx(7.020, abs=0.001)


def test_rbd_bench_without_summary_is_one_sentence() -> None:
    with pytest.raises(CephOutputError, match="no summary"):
        cephbench.parse_rbd_bench("rbd: error opening image t: (2) No such file or directory\n")


def test_command_lines_are_bounded_and_named() -> None:
    assert cephbench.rbd_bench_write_argv("rbd", "img", total_mib=512) == [
        "rbd", "bench", "--io-type", "write", "--io-pattern", "seq", "--io-size", "4M",
        "--io-threads", "16", "--io-total", "512M", "rbd/img"]
    write = cephbench.rados_bench_argv("rbd", "write", seconds=5, run_name="r1")
    assert write[:6] == ["rados", "bench", "-p", "rbd", "5", "write"] and write[-1] == "--no-cleanup"
    assert "--no-cleanup" not in cephbench.rados_bench_argv("rbd", "seq", seconds=5, run_name="r1")
    assert cephbench.rados_cleanup_argv("rbd", run_name="r1") == ["rados", "-p", "rbd", "cleanup",
                                                                   "--run-name", "r1"]


@pytest.mark.parametrize(("value", "twin_mib_s"), [(70.0, 75.0), (95.0, 200.0), (58.0, 70.0)])
def test_a_figure_near_its_twin_or_the_link_passes(value: float, twin_mib_s: float) -> None:
    judge_against_twin("w", value, twin=twin(twin_mib_s), ceiling=LINK, fraction=0.8, twin_fraction=0.4)


def test_a_figure_far_below_its_twin_fails_naming_the_twin() -> None:
    with pytest.raises(AssertionError, match=r"bound by the twin `rbd bench"):
        judge_against_twin("w", 50.0, twin=twin(75.0), ceiling=LINK, fraction=0.8, twin_fraction=0.4)


def test_a_figure_far_below_the_link_fails_naming_the_roofline() -> None:
    with pytest.raises(AssertionError, match="bound by the link roofline"):
        judge_against_twin("w", 60.0, twin=twin(300.0), ceiling=LINK, fraction=0.8, twin_fraction=0.4)


def test_a_slow_cluster_fails_even_when_the_figure_matches_its_twin() -> None:
    # A link shaped to a tenth slows fio and rbd bench alike: only the twin's own floor sees it.
    with pytest.raises(AssertionError, match=r"the cluster itself delivers only 11\.0 MiB/s"):
        judge_against_twin("w", 10.5, twin=twin(11.0), ceiling=LINK, fraction=0.8, twin_fraction=0.4)


def test_a_twins_series_is_named_without_its_scratch_name() -> None:
    first, second = cephbench.scratch_name(), cephbench.scratch_name()
    assert first != second and first.startswith("harness-twin-")
    commands = [" ".join(cephbench.rados_bench_argv("rbd", "write", seconds=3, run_name=n))
                for n in (first, second)]
    named = {Twin(command=c, bandwidth_mib_s=100.0, where="hlab0-cl").series_command for c in commands}
    assert named == {"rados bench -p rbd 3 write -t 16 --run-name harness-twin-<run> --no-cleanup"}
