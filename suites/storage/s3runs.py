"""Which client measures S3 in a session, and its PUT and GET phases in one shape.

Under `-m benchmark` (full depth) warp measures, when the target can run it (the lab: when
`tools/build-warp` built it; a Rook cluster: a Job of the profile's `images.warp`): a timed run
per operation, averaged by warp over its measured window, with its per-second samples kept.
The acceptance run keeps the boto3 benchmark (a fixed object count, ~9 s for its four phases;
warp's fixed costs, a 3 s pause and two unmeasured seconds at each edge of a run, would double
that), and so does a full run without warp. The run's components name the tool
(`s3-benchmark`), and every S3 figure carries it as its `tool` tag.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import boto3

from harness.plugin import Depth
from harness.targets.base import Target
from harness.targets.storage import Bucket
from harness.workloads.s3bench import MIB, S3BenchSpec, S3PhaseResult
from harness.workloads.warp import WarpResult, WarpSpec

WARP_SECONDS = 10
"""Per warp run: seven measured one-second samples (warp leaves out two at each edge)."""
WARP_CONCURRENT = 8
"""As the boto3 benchmark's threads."""
WARP_OBJECTS_MIB = 160
"""A GET or mixed run first uploads this much (at most 200 objects): 40 of 4 MiB, 160 of 1 MiB."""


@dataclass(frozen=True)
class S3Tool:
    warp: bool
    component: str
    """What the run's components say: `warp 1.6.1`, `boto3 1.44.18`, or boto3 with why."""


def choose_tool(target: Target, depth: Depth, record_components: Callable[[dict[str, str]], None]) -> S3Tool:
    """warp at full depth when the target can run it; boto3 otherwise, saying why at full depth."""
    boto = f"boto3 {boto3.__version__}"
    if depth.name != "full":
        tool = S3Tool(warp=False, component=boto)
    elif (refusal := target.storage.warp_refusal()) is None:
        tool = S3Tool(warp=True, component="warp")  # the version follows its first run
    else:
        tool = S3Tool(warp=False, component=f"{boto} (fallback: {refusal})")
    if not tool.warp:
        record_components({"s3-benchmark": tool.component})
    return tool


@dataclass(frozen=True)
class S3Phases:
    tool: str
    phases: tuple[S3PhaseResult, ...]
    samples: dict[tuple[str, int], tuple[float, ...]] = field(default_factory=dict)
    """Per (op, object size): warp's per-second MiB/s (none from boto3)."""

    def phase(self, op: str, object_size: int) -> S3PhaseResult:
        for found in self.phases:
            if found.op == op and found.object_size == object_size:
                return found
        raise KeyError(f"no {op} phase for {object_size}-byte objects")


def warp_spec(op: str, bucket: Bucket, size: int) -> WarpSpec:
    objects = 0 if op == "put" else max(1, min(200, WARP_OBJECTS_MIB * MIB // size))
    return WarpSpec(op=op, endpoint=bucket.endpoint, bucket=bucket.name, object_size=size,
                    duration_s=WARP_SECONDS, concurrent=WARP_CONCURRENT, objects=objects)


def run_warp(target: Target, bucket: Bucket, spec: WarpSpec,
             record_components: Callable[[dict[str, str]], None]) -> WarpResult:
    result = target.storage.run_warp(bucket, spec)
    record_components({"s3-benchmark": f"warp {result.version}"})
    return result


def put_and_get(target: Target, bucket: Bucket, tool: S3Tool, size: int, *, objects: int, max_s: float,
                record_components: Callable[[dict[str, str]], None]) -> S3Phases:
    """PUT, then GET, of `size`-byte objects: warp for `WARP_SECONDS` each, or boto3 for `objects`
    each (at most `max_s` a phase)."""
    if not tool.warp:
        spec = S3BenchSpec(endpoint=bucket.endpoint, bucket=bucket.name, object_sizes=(size,),
                           objects=objects, threads=8, max_s=max_s)
        return S3Phases(tool.component, target.storage.run_s3bench(bucket, spec).phases)
    phases, samples, version = [], {}, ""
    for op in ("put", "get"):
        result = run_warp(target, bucket, warp_spec(op, bucket, size), record_components)
        # The size asked for: warp's bytes over objects is off when requests failed (its
        # object count includes them), and the phase would not be found under its own size.
        measured = replace(result.op(op), object_size=size)
        phases.append(measured.as_phase())
        samples[(op, size)] = tuple(s.mib_s for s in measured.samples)
        version = result.version
    return S3Phases(f"warp {version}", tuple(phases), samples)
