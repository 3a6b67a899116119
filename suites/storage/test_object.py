"""S3 throughput through the object gateway (PUT then GET), against the roofline.

The client has a link of its own; the gateway's node also hosts an OSD, so its downlink carries
the client's payload plus the copies it stores as a replica: PUT's ceiling is lower than GET's
(see `harness.roofline`). GET and PUT are judged against min(roofline, `rados bench` reading or
writing 4 MiB objects from the same host now); 64 KiB objects, bound by latency, not the link,
against the profile's floors in operations per second.

The client (`suites.storage.s3runs`): the acceptance run measures with boto3, 4 MiB x 60 objects
and 64 KiB x 200, at most 20 s per phase. Under `-m benchmark` warp measures when the target can
run it (the lab: built by `tools/build-warp`; a Rook cluster: a Job of `images.warp`): 10 s per
operation and object size (64 KiB, 1 MiB, 4 MiB) and warp's mixed load at 1 MiB, every figure
with its per-second samples; without warp, boto3 with 150 and 400 objects, and the run's
components say so. The bucket and its objects are deleted at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from harness.metrics import S3_ERRORS, S3_LATENCY_P99, S3_RATE, S3_THROUGHPUT, S3_TWIN
from harness.plugin import Depth, Measure
from harness.profile import Profile
from harness.roofline import Ceiling, StorageRoofline
from harness.targets.base import Target
from harness.targets.storage import Bucket
from harness.workloads.cephbench import ObjectTwins, Twin
from harness.workloads.s3bench import MIB
from suites.storage.s3runs import S3Phases, S3Tool, choose_tool, put_and_get, run_warp, warp_spec
from suites.storage.twins import judge_against_twin, record_twin

LARGE = 4 * MIB
MEDIUM = MIB
SMALL = 64 * 1024

pytestmark = pytest.mark.benchmark


@pytest.fixture(scope="module")
def bucket(target: Target) -> Iterator[Bucket]:
    with target.storage.bucket() as made:
        yield made


@pytest.fixture(scope="module")
def s3_tool(target: Target, depth: Depth, record_components: Callable[[dict[str, str]], None]) -> S3Tool:
    return choose_tool(target, depth, record_components)


@pytest.fixture(scope="module")
def bench(target: Target, bucket: Bucket, depth: Depth, s3_tool: S3Tool,
          record_components: Callable[[dict[str, str]], None]) -> S3Phases:
    return put_and_get(target, bucket, s3_tool, LARGE, objects=depth.pick(60, 150), max_s=20,
                       record_components=record_components)


@pytest.fixture(scope="module")
def twins(target: Target, depth: Depth) -> ObjectTwins:
    """`rados bench` writes for this long, then reads back what it wrote (for as long at most)."""
    return target.storage.object_twins(seconds=depth.pick(3, 5))


def _record(bench: S3Phases, op: str, size: int, measure: Measure, ceiling: float | None) -> float:
    phase = bench.phase(op, size)
    tags = {"op": op, "object_size": size, "tool": bench.tool}
    measure.figure(S3_THROUGHPUT[op], phase.throughput_mib_s, ceiling=ceiling,
                   samples=bench.samples.get((op, size), ()), **tags)
    measure.figure(S3_RATE[op], phase.ops_per_s, **tags)
    measure.figure(S3_LATENCY_P99[op], phase.latency_p99_ms, **tags)
    measure.figure(S3_ERRORS[op], phase.errors, **tags)
    assert phase.errors == 0, f"{op}: {phase.errors} errors, first: {phase.first_error}"
    return phase.throughput_mib_s


def _judge_large(op: str, bench: S3Phases, twin: Twin, ceiling: Ceiling, fraction: float,
                 profile: Profile, measure: Measure) -> None:
    __tracebackhide__ = True
    record_twin(measure, S3_TWIN[op], twin, ceiling)
    value = _record(bench, op, LARGE, measure, ceiling.mib_s)
    judge_against_twin(f"S3 {op.upper()} of 4 MiB objects", value, twin=twin, ceiling=ceiling,
                       fraction=fraction, twin_fraction=profile.expectations.min_storage_twin_fraction)


def test_object_get_throughput(bench: S3Phases, twins: ObjectTwins, profile: Profile,
                               measure: Measure, roofline: StorageRoofline) -> None:
    """S3 GET judged against the link and against `rados bench` reading 4 MiB objects from the
    same client host now; the gateway's hop costs CPU the twin does not pay, hence its own share."""
    _judge_large("get", bench, twins.read, roofline.object_get(),
                 profile.expectations.min_object_get_fraction, profile, measure)


def test_object_put_throughput(bench: S3Phases, twins: ObjectTwins, profile: Profile,
                               measure: Measure, roofline: StorageRoofline) -> None:
    """S3 PUT against the link and `rados bench` writing 4 MiB objects from the same host now."""
    _judge_large("put", bench, twins.write, roofline.object_put(),
                 profile.expectations.min_object_put_fraction, profile, measure)


def test_small_objects(target: Target, bucket: Bucket, profile: Profile, measure: Measure,
                       depth: Depth, s3_tool: S3Tool,
                       record_components: Callable[[dict[str, str]], None]) -> None:
    result = put_and_get(target, bucket, s3_tool, SMALL, objects=depth.pick(200, 400), max_s=15,
                         record_components=record_components)
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
                f"{floor:.0f} (8 clients, {result.tool}, p99 latency {phase.latency_p99_ms:.0f} ms)")


@pytest.mark.full_depth
def test_medium_objects(target: Target, bucket: Bucket, measure: Measure, s3_tool: S3Tool,
                        record_components: Callable[[dict[str, str]], None]) -> None:
    """1 MiB objects, between the latency-bound 64 KiB and the link-bound 4 MiB: recorded for
    the trend, judged only on errors."""
    result = put_and_get(target, bucket, s3_tool, MEDIUM, objects=300, max_s=20,
                         record_components=record_components)
    for op in ("put", "get"):
        _record(result, op, MEDIUM, measure, None)
        assert result.phase(op, MEDIUM).ops > 0, f"no {op} of 1 MiB objects succeeded"


@pytest.mark.full_depth
def test_mixed_load(target: Target, bucket: Bucket, measure: Measure, s3_tool: S3Tool,
                    record_components: Callable[[dict[str, str]], None]) -> None:
    """warp's mixed load at 1 MiB (GET 45 %, STAT 30 %, PUT 15 %, DELETE 10 % of requests,
    concurrently): each operation's rate with its per-second samples, no errors."""
    if not s3_tool.warp:
        pytest.skip(f"the mixed load needs warp; S3 ran with {s3_tool.component}")
    result = run_warp(target, bucket, warp_spec("mixed", bucket, MEDIUM), record_components)
    tool = f"warp {result.version}"
    measured = [result.op(op) for op in ("get", "put", "stat", "delete")]  # each for whole seconds
    for done in measured:
        tags = {"op": done.op, "object_size": MEDIUM, "tool": tool}
        measure.figure(S3_RATE["mixed"], done.ops_per_s, samples=[s.ops_per_s for s in done.samples], **tags)
        if done.op in ("get", "put"):
            measure.figure(S3_THROUGHPUT["mixed"], done.throughput_mib_s,
                           samples=[s.mib_s for s in done.samples], **tags)
        measure.figure(S3_LATENCY_P99["mixed"], done.latency_p99_ms, **tags)
        measure.figure(S3_ERRORS["mixed"], done.errors, **tags)
    failed = [f"{o.op}: {o.errors} ({o.first_error})" for o in measured if o.errors]
    assert not failed, f"mixed load at 1 MiB had errors: {'; '.join(failed)}"
