"""RBD block throughput through librbd (fio's `rbd` engine), against the switch's roofline.

One fresh image per module: the sequential write fills it once (4 MiB writes to new objects:
the slower case, LAB-NOTES measured 73-97 MiB/s against 112, so it is judged against `rbd bench`
writing new objects from the same client in the same minute as well as the link), the read then
reads it back. The data written is bounded by the image and removed with it. 4 KiB random I/O
has no link ceiling (the OSDs' CPU and media bind it): its IOPS are judged against the profile's
own floors (`min_random_{read,write}_iops`), recorded only where the profile sets none.

The acceptance run's lengths are half the full ones or less (`BlockRuns`; `-m benchmark` runs
the full ones): measured on the lab, 5 runs each, the quick figures' means are within 5 % of the
full ones' (the README's table).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

import pytest

from harness.metrics import BLOCK_BANDWIDTH, BLOCK_CLAT_P99, BLOCK_IOPS, BLOCK_WRITE_TWIN
from harness.plugin import Depth, Measure
from harness.profile import Profile
from harness.roofline import StorageRoofline
from harness.targets.base import Target
from harness.targets.storage import BlockVolume
from harness.workloads.fio import (
    RAND_READ_4K,
    RAND_WRITE_4K,
    SEQ_READ_4M,
    SEQ_WRITE_4M,
    FioJob,
    FioResult,
)
from suites.storage.twins import judge_against_twin, record_twin

BLOCK_CLIENT: str | None = None
"""The target's own client host (a link of its own); the roofline fixture assumes the same."""

pytestmark = pytest.mark.benchmark
_FILLED: set[str] = set()
"""Images the write test has filled, so the read test reads real data."""


@dataclass(frozen=True)
class BlockRuns:
    """The image and the jobs of one session's depth."""

    image_mib: int
    twin_mib: int
    """`rbd bench` writes this much to a scratch image of its own (256 MiB: 2-3 s at 1 Gbit/s)."""
    jobs: dict[str, FioJob]

    @classmethod
    def at(cls, depth: Depth) -> BlockRuns:
        image_mib = depth.pick(1024, 2048)
        size = f"{image_mib}M"
        # Random I/O over the same written 1 GiB at both depths (so the quick image is no
        # smaller): a larger working set is another figure (on the lab 10 s over 2 GiB gave
        # 20-30 % fewer IOPS than 4 s over 1 GiB), unwritten extents read with no I/O at all.
        # Every job reports each second too: the figures carry their per-second samples.
        jobs = [replace(SEQ_WRITE_4M, size=size, runtime_s=depth.pick(20, 40), per_second=True),
                replace(SEQ_READ_4M, size=size, runtime_s=depth.pick(4, 20), ramp_s=depth.pick(1, 2),
                        per_second=True),
                replace(RAND_WRITE_4K, size="1G", runtime_s=depth.pick(5, 10), per_second=True),
                replace(RAND_READ_4K, size="1G", runtime_s=depth.pick(5, 10), per_second=True)]
        return cls(image_mib, depth.pick(256, 512), {job.name: job for job in jobs})

    @property
    def fill(self) -> FioJob:
        return replace(self.jobs[SEQ_WRITE_4M.name], name="fill-4m", runtime_s=300)


@pytest.fixture(scope="module")
def runs(depth: Depth) -> BlockRuns:
    return BlockRuns.at(depth)


@pytest.fixture(scope="module")
def volume(target: Target, runs: BlockRuns) -> Iterator[BlockVolume]:
    with target.storage.block_volume(runs.image_mib / 1024, on=BLOCK_CLIENT) as made:
        yield made


def _record(result: FioResult, job: FioJob, measure: Measure, *, ceiling: float | None = None) -> None:
    tags = {"job": result.job, "rw": job.rw, "bs": job.block_size}
    measure.figure(BLOCK_BANDWIDTH[result.job], result.bandwidth_mib_s, ceiling=ceiling,
                   samples=result.bandwidth_samples, **tags)
    measure.figure(BLOCK_IOPS[result.job], result.iops, samples=result.iops_samples, **tags)
    measure.figure(BLOCK_CLAT_P99[result.job], result.clat_p99_ms, **tags)


def _check(result: FioResult, *, fraction: float, ceiling: float, bottleneck: str) -> None:
    __tracebackhide__ = True
    assert result.errors == 0, f"fio {result.job}: error {result.errors}"
    floor = fraction * ceiling
    assert result.bandwidth_mib_s >= floor, (
        f"{result.job}: {result.bandwidth_mib_s:.1f} MiB/s is below {fraction:g} x {ceiling:.1f} = "
        f"{floor:.1f} MiB/s (roofline bottleneck: {bottleneck})")


def test_seq_write_4m(target: Target, profile: Profile, measure: Measure, volume: BlockVolume,
                      roofline: StorageRoofline, runs: BlockRuns) -> None:
    """fio's write to new objects, judged against `rbd bench` doing the same from the same client
    now (on the lab it is the machine's CPU, not the link, that binds both on a busy day)."""
    ceiling = roofline.block_write()
    twin = target.storage.block_write_twin(on=BLOCK_CLIENT, total_mib=runs.twin_mib)
    record_twin(measure, BLOCK_WRITE_TWIN, twin, ceiling)
    job = runs.jobs[SEQ_WRITE_4M.name]
    result = target.storage.run_fio(volume, job)
    if result.io_mib >= runs.image_mib:
        _FILLED.add(volume.image)
    _record(result, job, measure, ceiling=ceiling.mib_s)
    assert result.errors == 0, f"fio {result.job}: error {result.errors}"
    judge_against_twin(result.job, result.bandwidth_mib_s, twin=twin, ceiling=ceiling,
                       fraction=profile.expectations.min_storage_write_fraction,
                       twin_fraction=profile.expectations.min_storage_twin_fraction)


def _filled(target: Target, volume: BlockVolume, runs: BlockRuns) -> None:
    """Unwritten RBD extents read as zeros with no I/O at all (librbd's object map): fill the
    image first when the write test did not (a read test run on its own)."""
    __tracebackhide__ = True
    if volume.image not in _FILLED:
        fill = target.storage.run_fio(volume, runs.fill)
        assert fill.io_mib >= runs.image_mib, f"could fill only {fill.io_mib:.0f} MiB of the image"
        _FILLED.add(volume.image)


def test_seq_read_4m(target: Target, profile: Profile, measure: Measure, volume: BlockVolume,
                     roofline: StorageRoofline, runs: BlockRuns) -> None:
    ceiling = roofline.block_read()
    _filled(target, volume, runs)
    job = runs.jobs[SEQ_READ_4M.name]
    result = target.storage.run_fio(volume, job)
    _record(result, job, measure, ceiling=ceiling.mib_s)
    _check(result, fraction=profile.expectations.min_storage_read_fraction, ceiling=ceiling.mib_s,
           bottleneck=ceiling.bottleneck)


@pytest.mark.parametrize("name", [RAND_WRITE_4K.name, RAND_READ_4K.name])
def test_random_4k(target: Target, profile: Profile, measure: Measure, volume: BlockVolume,
                   runs: BlockRuns, name: str) -> None:
    _filled(target, volume, runs)
    job = runs.jobs[name]
    result = target.storage.run_fio(volume, job)
    _record(result, job, measure)
    assert result.errors == 0, f"fio {name}: error {result.errors}"
    expect = profile.expectations
    floor = expect.min_random_write_iops if job.rw == "randwrite" else expect.min_random_read_iops
    if floor is not None:
        assert result.iops >= floor, (
            f"{name}: {result.iops:.0f} IOPS is below the profile's floor of {floor:.0f} "
            f"(queue depth {job.iodepth}, p99 completion latency {result.clat_p99_ms:.1f} ms)")
    else:
        assert result.iops > 0, f"fio {name}: no I/O completed"
