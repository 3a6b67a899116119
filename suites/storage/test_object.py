"""S3 throughput through the object gateway (boto3, concurrent PUT then GET), against the roofline.

The client has a link of its own; the gateway's node also hosts an OSD, so its downlink carries
the client's payload plus the copies it stores as a replica: PUT's ceiling is lower than GET's
(see `harness.roofline`). Bounded: 4 MiB x 60 objects and 64 KiB x 200 in the acceptance run,
150 and 400 under `-m benchmark`, at most 20 s per phase; the bucket and its objects are deleted
at the end.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.plugin import Depth, Measure
from harness.profile import Profile
from harness.roofline import StorageRoofline
from harness.targets.base import Target
from harness.targets.storage import Bucket
from harness.workloads.s3bench import MIB, S3BenchResult, S3BenchSpec
from suites.storage.twins import judge_against_twin

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


def test_object_get_throughput(target: Target, bench: S3BenchResult, profile: Profile,
                               measure: Measure, roofline: StorageRoofline, depth: Depth) -> None:
    """S3 GET judged against the link and against `rados bench` reading 4 MiB objects from the
    same client host now; the gateway's hop costs CPU the twin does not pay, hence its own share."""
    ceiling = roofline.object_get()
    # `rados bench` writes for this long, then reads back what it wrote (for as long at most).
    twin = target.storage.object_read_twin(seconds=depth.pick(3, 5))
    measure("storage.s3.get.twin", twin.bandwidth_mib_s, "MiB/s", higher_is_better=True,
            ceiling=ceiling.mib_s, tool=twin.command, where=twin.where)
    value = _record(bench, "get", LARGE, measure, ceiling.mib_s)
    judge_against_twin("S3 GET of 4 MiB objects", value, twin=twin, ceiling=ceiling,
                       fraction=profile.expectations.min_object_get_fraction,
                       twin_fraction=profile.expectations.min_storage_twin_fraction)


def test_object_put_throughput(bench: S3BenchResult, measure: Measure, roofline: StorageRoofline) -> None:
    """Recorded against its ceiling; no acceptance fraction yet: on the lab the gateway, four OSDs
    and the client share two cores, and PUT reaches ~0.7 of the link-derived ceiling."""
    value = _record(bench, "put", LARGE, measure, roofline.object_put().mib_s)
    assert value > 0, "no 4 MiB PUT succeeded"


def test_small_objects(target: Target, bucket: Bucket, measure: Measure, depth: Depth) -> None:
    spec = S3BenchSpec(endpoint=bucket.endpoint, bucket=bucket.name, object_sizes=(SMALL,),
                       objects=depth.pick(200, 400), threads=8, max_s=15)
    result = target.storage.run_s3bench(bucket, spec)
    for op in ("put", "get"):
        phase = result.phase(op, SMALL)
        _record(result, op, SMALL, measure, None)
        assert phase.ops > 0, f"no {op} of 64 KiB objects succeeded"
