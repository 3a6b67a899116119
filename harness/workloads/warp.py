"""warp, MinIO's S3 benchmark: its command line, where its binary is, and its JSON report parsed.

warp (built by `tools/build-warp` for the lab, warp's release image in a cluster's Job; AGPL-3.0,
run as a separate program) runs one operation for a fixed time: `put`, `get` (of objects it
uploads first, `objects` of them) or `mixed` (GET, STAT, PUT and DELETE at warp's default
shares). With `--json` it prints its final aggregate, the same document it compresses into
`<benchdata>.json.zst`; the lab sends that stdout into a file it owns, a cluster's Job into its
log, and the target hands the report to `parse_warp`. Per operation warp reports:

- the average over the measured window: warp leaves out the first two and the last two whole
  seconds of the run (ramp-up and drain), so a run of D seconds measures about D - 3;
- one sample per second of that window (`throughput.segmented.segments`): the spread is kept;
- request durations in 10-second segments (median, 99th percentile), which warp itself averages.

The keys go in the environment (`WARP_ACCESS_KEY`, `WARP_SECRET_KEY`), never in argv; warp
prints them as `*REDACTED*` in its command line. Bounded: `duration_s`, and a GET's upload.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from harness.workloads.s3bench import MIB, S3PhaseResult

KEY_ENV = ("WARP_ACCESS_KEY", "WARP_SECRET_KEY")
BINARY_ENV = "CLUSTER_HARNESS_WARP"
"""A warp binary to use instead of the one `tools/build-warp` built."""
BUILD = Path(__file__).resolve().parents[2] / "tools" / "build-warp"
OPS = ("put", "get", "mixed")
START_PAUSE_S = 3
"""warp waits this long between its preparation and the measured run."""
UNMEASURED_S = 4
"""The whole seconds warp leaves out of its averages: two at the start, two at the end."""


class WarpError(RuntimeError):
    """warp is missing, refused to run, or printed no report we can read."""


@dataclass(frozen=True)
class WarpSpec:
    op: str
    """`put`, `get` or `mixed`."""
    endpoint: str
    """`http://host:port` of the gateway: the one address warp talks to."""
    bucket: str
    object_size: int
    duration_s: int
    concurrent: int = 8
    objects: int = 0
    """`get` and `mixed`: objects uploaded before the measured run (their bytes bound the upload)."""
    region: str = "us-east-1"

    def __post_init__(self) -> None:
        problems = []
        if self.op not in OPS:
            problems.append(f"op {self.op!r} is not one of {', '.join(OPS)}")
        if not UNMEASURED_S < self.duration_s <= 600:
            problems.append(
                f"duration_s {self.duration_s}: warp measures nothing in {UNMEASURED_S} s "
                "or less, and a run is bounded to 600 s"
            )
        if not 1 <= self.concurrent <= 256 or self.object_size < 1:
            problems.append("concurrent must be 1-256 and object_size at least 1 byte")
        if self.op != "put" and not 1 <= self.objects <= 10_000:
            problems.append(f"{self.op} needs 1-10000 objects to read (got {self.objects})")
        parts = urlsplit(self.endpoint)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
            problems.append(f"endpoint {self.endpoint!r} is not http(s)://host:port")
        if problems:
            raise ValueError("; ".join(problems))

    @property
    def host(self) -> str:
        return urlsplit(self.endpoint).netloc

    def limit_s(self) -> float:
        """An upper bound on warp's wall time: the upload at 5 MiB/s or more, the pause, the run,
        and a minute for start-up and clearing the bucket."""
        upload = self.objects * self.object_size / (5 * MIB)
        return upload + START_PAUSE_S + self.duration_s + 60


def warp_argv(binary: str, spec: WarpSpec, *, benchdata: Path) -> list[str]:
    """The command line (no keys). warp clears the bucket before and after its run."""
    argv = [
        binary,
        spec.op,
        "--host",
        spec.host,
        "--bucket",
        spec.bucket,
        "--region",
        spec.region,
        "--lookup",
        "path",
        "--obj.size",
        str(spec.object_size),
        "--concurrent",
        str(spec.concurrent),
        "--duration",
        f"{spec.duration_s}s",
        "--json",
        "--no-color",
        "--benchdata",
        str(benchdata),
    ]
    if spec.endpoint.startswith("https:"):
        argv.append("--tls")
    if spec.op != "put":
        argv += ["--objects", str(spec.objects)]
    return argv


def locate() -> Path:
    """The warp binary: `$CLUSTER_HARNESS_WARP`, or the one `tools/build-warp` built."""
    explicit = os.environ.get(BINARY_ENV)
    if explicit:
        found = Path(explicit)
    elif BUILD.exists():
        answer = subprocess.run(
            [str(BUILD), "--where"], capture_output=True, text=True, timeout=30, check=False
        )
        if answer.returncode == 3:
            raise WarpError("warp is not built: run tools/build-warp (about 5 min the first time)")
        if answer.returncode != 0:  # no Go: the cache key names the Go version
            said = (answer.stderr.strip().splitlines() or ["no reason given"])[-1]
            raise WarpError(f"cannot find warp's build: {said}")
        found = Path(answer.stdout.strip())
    else:
        raise WarpError(f"no warp: set {BINARY_ENV} to a warp binary")
    if not (found.is_file() and os.access(found, os.X_OK)):
        raise WarpError(f"{found} is not an executable warp binary")
    return found


@dataclass(frozen=True)
class WarpSample:
    """One second of the measured window."""

    offset_s: int
    """Seconds since the window began."""
    mib_s: float
    ops_per_s: float


@dataclass(frozen=True)
class WarpOp:
    """One operation type of a warp run, as warp itself reports it."""

    op: str
    """Lower case: `put`, `get`, `stat`, `delete`."""
    object_size: int
    requests: int
    """Every request of the run, the unmeasured seconds included."""
    errors: int
    seconds: float
    """The measured window."""
    throughput_mib_s: float
    ops_per_s: float
    latency_p50_ms: float
    latency_p99_ms: float
    samples: tuple[WarpSample, ...]
    """Empty when warp measured no whole second of it (then every rate is 0)."""
    first_error: str = ""

    def as_phase(self) -> S3PhaseResult:
        """The figures as the boto3 benchmark reports a phase, so suites judge either alike."""
        return S3PhaseResult(
            op=self.op,
            object_size=self.object_size,
            ops=self.requests,
            errors=self.errors,
            seconds=self.seconds,
            throughput_mib_s=self.throughput_mib_s,
            ops_per_s=self.ops_per_s,
            latency_p50_ms=self.latency_p50_ms,
            latency_p99_ms=self.latency_p99_ms,
            first_error=self.first_error,
        )


@dataclass(frozen=True)
class WarpResult:
    version: str
    commandline: str
    """As warp printed it, keys redacted."""
    ops: tuple[WarpOp, ...]

    def op(self, name: str) -> WarpOp:
        """The operation's figures; a WarpError when warp measured no whole second of it (a
        run too short, or a stray request: a GET run may report one PUT of its upload)."""
        for found in self.ops:
            if found.op == name and found.samples:
                return found
            if found.op == name:
                raise WarpError(
                    f"warp measured no whole second of {name} ({found.requests} requests): "
                    f"the run was too short (it leaves out {UNMEASURED_S} s)"
                )
        raise KeyError(f"warp reported no {name} ({', '.join(o.op for o in self.ops) or 'nothing'})")


def _latency(aggregate: dict[str, Any]) -> tuple[float, float]:
    """warp's own merge of its request segments: the mean of each segment's median and p99."""
    merged = median = p99 = 0.0
    for segments in (aggregate.get("requests_by_client") or {}).values():
        for segment in segments:
            single = segment.get("single_sized_requests")
            if single and not single.get("skipped"):
                merged += single.get("merged_entries", 1)
                median += single["dur_median_millis"]
                p99 += single["dur_99_millis"]
    return (median / merged, p99 / merged) if merged else (0.0, 0.0)


def _op(name: str, aggregate: dict[str, Any]) -> WarpOp:
    throughput = aggregate["throughput"]
    segments = (throughput.get("segmented") or {}).get("segments") or []
    window_ms = throughput.get("measure_duration_millis", 0) if segments else 0
    samples = tuple(
        WarpSample(offset_s=i, mib_s=s["bytes_per_sec"] / MIB, ops_per_s=s["obj_per_sec"])
        for i, s in enumerate(segments)
    )
    p50, p99 = _latency(aggregate)
    objects = aggregate["total_objects"]
    errors = aggregate["first_errors"] or []
    return WarpOp(
        op=name.lower(),
        object_size=aggregate["total_bytes"] // objects if objects else 0,
        requests=aggregate["total_requests"],
        errors=aggregate["total_errors"],
        seconds=window_ms / 1000,
        throughput_mib_s=throughput["bytes"] * 1000 / window_ms / MIB if window_ms else 0.0,
        ops_per_s=throughput["ops"] * 1000 / window_ms if window_ms else 0.0,
        latency_p50_ms=p50,
        latency_p99_ms=p99,
        samples=samples,
        first_error=str(errors[0])[:200] if errors else "",
    )


def parse_warp(text: str) -> WarpResult:
    """warp's `--json` report (leading blank lines and all) into one `WarpOp` per operation."""
    try:
        document = json.loads(text)
        by_op = document["by_op_type"]
        return WarpResult(
            version=str(document.get("warp_version", "")),
            commandline=str(document.get("commandline", "")),
            ops=tuple(_op(name, by_op[name]) for name in sorted(by_op)),
        )
    except (ValueError, KeyError, TypeError, ZeroDivisionError) as error:
        shown = f"{type(error).__name__}: {error}"[:200]
        raise WarpError(f"warp printed no report we can read ({shown})") from None
