"""S3 benchmark with boto3: concurrent PUT, then GET, of objects of several sizes; cleans up.

Bounded in count (`objects` per size) and time (`max_s` per phase). Runs as its own process
(`python -m harness.workloads.s3bench SPEC_JSON`, keys in the environment, never in argv or
output) so a target can start it where the client sits: a lab namespace or a pod. It talks to the
one endpoint it is given and nothing else (no proxies, no instance metadata).
"""

from __future__ import annotations

import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

MIB = 1 << 20
KEY_ENV = ("HARNESS_S3_ACCESS_KEY", "HARNESS_S3_SECRET_KEY")


@dataclass(frozen=True)
class S3BenchSpec:
    endpoint: str
    bucket: str
    object_sizes: tuple[int, ...] = (4 * MIB,)
    objects: int = 200
    """Per size and phase: at most this many PUTs, then GETs of the same keys."""
    threads: int = 8
    warmup: bool = True
    """Before each size's phases, one unmeasured PUT per thread: the pool's connections and the
    bucket's first writes are paid outside the figures (on the lab a cold start cost a
    60-object PUT phase 30 % of its throughput)."""
    max_s: float = 30.0
    """Per size and phase: stop issuing requests after this long."""
    region: str = "us-east-1"


@dataclass(frozen=True)
class S3PhaseResult:
    op: str
    """`put` or `get`."""
    object_size: int
    ops: int
    errors: int
    seconds: float
    throughput_mib_s: float
    ops_per_s: float
    latency_p50_ms: float
    latency_p99_ms: float
    first_error: str = ""


@dataclass(frozen=True)
class S3BenchResult:
    phases: tuple[S3PhaseResult, ...] = field(default_factory=tuple)

    def phase(self, op: str, object_size: int) -> S3PhaseResult:
        for p in self.phases:
            if p.op == op and p.object_size == object_size:
                return p
        raise KeyError(f"no {op} phase for {object_size}-byte objects")

    def to_json(self) -> str:
        return json.dumps({"phases": [asdict(p) for p in self.phases]})

    @classmethod
    def from_json(cls, text: str) -> S3BenchResult:
        data = json.loads(text)
        return cls(tuple(S3PhaseResult(**p) for p in data["phases"]))


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0-100); 0 for no values.

    Its own copy (the chaos metrics have a twin): this file is shipped alone into a pod on
    Kubernetes, so it imports nothing from the harness."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summarize(op: str, size: int, latencies_s: list[float], errors: list[str],
              seconds: float) -> S3PhaseResult:
    ops = len(latencies_s)
    seconds = max(seconds, 1e-9)
    return S3PhaseResult(op=op, object_size=size, ops=ops, errors=len(errors), seconds=seconds,
                         throughput_mib_s=ops * size / MIB / seconds, ops_per_s=ops / seconds,
                         latency_p50_ms=percentile(latencies_s, 50) * 1000,
                         latency_p99_ms=percentile(latencies_s, 99) * 1000,
                         first_error=errors[0][:200] if errors else "")


def _client(spec: S3BenchSpec, access_key: str, secret_key: str) -> Any:
    import boto3  # only in the benchmark process
    from botocore.config import Config

    return boto3.client("s3", endpoint_url=spec.endpoint, aws_access_key_id=access_key,
                        aws_secret_access_key=secret_key, region_name=spec.region,
                        # Checksums only where S3 requires them: botocore's default CRC of every
                        # body costs this process the CPU it needs to keep the link busy.
                        config=Config(proxies={}, retries={"max_attempts": 1},
                                      max_pool_connections=spec.threads,
                                      request_checksum_calculation="when_required",
                                      response_checksum_validation="when_required",
                                      s3={"addressing_style": "path"}))


def _phase(op: str, size: int, keys: list[str], spec: S3BenchSpec,
           s3: Any) -> tuple[S3PhaseResult, list[str]]:
    """One phase, and the keys it completed (a PUT phase cut short by `max_s` wrote only those)."""
    body = os.urandom(size)
    deadline = time.monotonic() + spec.max_s
    latencies: list[float] = []
    errors: list[str] = []
    done: list[str] = []

    def one(key: str) -> None:
        if time.monotonic() > deadline:
            return
        began = time.monotonic()
        try:
            if op == "put":
                s3.put_object(Bucket=spec.bucket, Key=key, Body=body)
            else:
                s3.get_object(Bucket=spec.bucket, Key=key)["Body"].read()
        except Exception as error:
            errors.append(f"{type(error).__name__}: {error}")
            return
        latencies.append(time.monotonic() - began)
        done.append(key)

    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=spec.threads) as pool:
        list(pool.map(one, keys))
    return summarize(op, size, latencies, errors, time.monotonic() - began), done


def run(spec: S3BenchSpec, *, access_key: str, secret_key: str) -> S3BenchResult:
    s3 = _client(spec, access_key, secret_key)
    phases = []
    for size in spec.object_sizes:
        keys = [f"bench/{size}/{i:06d}" for i in range(spec.objects)]
        if spec.warmup:
            warm = [f"warmup/{size}/{i:06d}" for i in range(spec.threads)]
            _phase("put", size, warm, spec, s3)
            keys_to_delete = warm + keys
        else:
            keys_to_delete = keys
        put, written = _phase("put", size, keys, spec, s3)
        phases.append(put)
        phases.append(_phase("get", size, written, spec, s3)[0])  # only what the PUTs wrote
        for start in range(0, len(keys_to_delete), 1000):  # clean up: what was written is removed
            s3.delete_objects(Bucket=spec.bucket, Delete={
                "Objects": [{"Key": k} for k in keys_to_delete[start:start + 1000]], "Quiet": True})
    return S3BenchResult(tuple(phases))


def main(argv: list[str]) -> int:
    data = json.loads(argv[1])
    data["object_sizes"] = tuple(data["object_sizes"])
    spec = S3BenchSpec(**data)
    access_key, secret_key = (os.environ[k] for k in KEY_ENV)
    print(run(spec, access_key=access_key, secret_key=secret_key).to_json())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
