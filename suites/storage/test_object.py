"""S3 throughput through the object gateway (boto3, concurrent PUT then GET), against the roofline.

The client has a link of its own; the gateway's node also hosts an OSD, so its downlink carries
the client's payload plus the copies it stores as a replica: PUT's ceiling is lower than GET's
(see `harness.roofline`). GET and PUT are judged against min(roofline, `rados bench` reading or
writing 4 MiB objects from the same host now); 64 KiB objects, bound by latency, not the link,
against the profile's floors in operations per second. Bounded: 4 MiB x 60 objects and 64 KiB x
200 in the acceptance run, 150 and 400 under `-m benchmark`, at most 20 s per phase; the bucket
and its objects are deleted at the end.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.plugin import Depth, Measure
from harness.profile import Profile
from harness.roofline import Ceiling, StorageRoofline
from harness.targets.base import Target
from harness.targets.storage import Bucket
from harness.workloads.cephbench import ObjectTwins, Twin
from harness.workloads.s3bench import MIB, S3BenchResult, S3BenchSpec
from suites.storage.twins import judge_against_twin, record_twin

LARGE = 4 * MIB
SMALL = 64 * 1024

pytestmark = pytest.mark.benchmark


@pytest.fixture(scope="module")
def bucket(target: Target) -> Iterator[Bucket]:
    with target.storage.bucket() as made:
        yield made


@pytest.fixture(scope="module")
def bench(target: Target, bucket: Bucket, depth: Depth) -> S3BenchResult:
    spec = S3BenchSpec(endpoint=bucket.endpoint, bucket=bucket.name, object_sizes=(LARGE,),
                       objects=depth.pick(60, 150), threads=8, max_s=20)
    return target.storage.run_s3bench(bucket, spec)


@pytest.fixture(scope="module")
def twins(target: Target, depth: Depth) -> ObjectTwins:
    """`rados bench` writes for this long, then reads back what it wrote (for as long at most)."""
    return target.storage.object_twins(seconds=depth.pick(3, 5))


def _record(bench: S3BenchResult, op: str, size: int, measure: Measure, ceiling: float | None) -> float:
    phase = bench.phase(op, size)
    tags = {"op": op, "object_size": size}
    measure(f"storage.s3.{op}.throughput", phase.throughput_mib_s, "MiB/s", higher_is_better=True,
            ceiling=ceiling, **tags)
    measure(f"storage.s3.{op}.ops", phase.ops_per_s, "ops/s", higher_is_better=True, **tags)
    measure(f"storage.s3.{op}.latency_p99", phase.latency_p99_ms, "ms", higher_is_better=False, **tags)
    measure(f"storage.s3.{op}.errors", phase.errors, "count", higher_is_better=False, **tags)
    assert phase.errors == 0, f"{op}: {phase.errors} errors, first: {phase.first_error}"
    return phase.throughput_mib_s


def _judge_large(op: str, bench: S3BenchResult, twin: Twin, ceiling: Ceiling, fraction: float,
                 profile: Profile, measure: Measure) -> None:
    __tracebackhide__ = True
    record_twin(measure, f"storage.s3.{op}.twin", twin, ceiling)
    value = _record(bench, op, LARGE, measure, ceiling.mib_s)
    judge_against_twin(f"S3 {op.upper()} of 4 MiB objects", value, twin=twin, ceiling=ceiling,
                       fraction=fraction, twin_fraction=profile.expectations.min_storage_twin_fraction)


def test_object_get_throughput(bench: S3BenchResult, twins: ObjectTwins, profile: Profile,
                               measure: Measure, roofline: StorageRoofline) -> None:
    """S3 GET judged against the link and against `rados bench` reading 4 MiB objects from the
    same client host now; the gateway's hop costs CPU the twin does not pay, hence its own share."""
    _judge_large("get", bench, twins.read, roofline.object_get(),
                 profile.expectations.min_object_get_fraction, profile, measure)


def test_object_put_throughput(bench: S3BenchResult, twins: ObjectTwins, profile: Profile,
                               measure: Measure, roofline: StorageRoofline) -> None:
    """S3 PUT against the link and `rados bench` writing 4 MiB objects from the same host now."""
    _judge_large("put", bench, twins.write, roofline.object_put(),
                 profile.expectations.min_object_put_fraction, profile, measure)


def test_small_objects(target: Target, bucket: Bucket, profile: Profile, measure: Measure,
                       depth: Depth) -> None:
    spec = S3BenchSpec(endpoint=bucket.endpoint, bucket=bucket.name, object_sizes=(SMALL,),
                       objects=depth.pick(200, 400), threads=8, max_s=15)
    result = target.storage.run_s3bench(bucket, spec)
    expect = profile.expectations
    floors = {"put": expect.min_small_object_put_ops, "get": expect.min_small_object_get_ops}
    for op in ("put", "get"):
        _record(result, op, SMALL, measure, None)
    for op, floor in floors.items():
        phase = result.phase(op, SMALL)
        assert phase.ops > 0, f"no {op} of 64 KiB objects succeeded"
        if floor is not None:
            assert phase.ops_per_s >= floor, (
                f"64 KiB {op.upper()}: {phase.ops_per_s:.0f} ops/s is below the profile's floor of "
                f"{floor:.0f} ({spec.threads} clients, p99 latency {phase.latency_p99_ms:.0f} ms)")
