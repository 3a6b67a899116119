"""Ceph's own benchmarks as twins of the harness's figures: `rbd bench` beside fio's sequential
write, `rados bench` beside the S3 GET. Command lines and the parser of `rbd bench`; `rados
bench`'s summary is parsed in `ceph_status`.

A twin runs the real tool on the same path in the same session, so the suites can judge a figure
against what the cluster delivers now (a busy machine slows the twin too), not only the link.
Bounded: a fixed byte count or a few seconds, and the data is removed after it.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from harness.workloads.ceph_status import CephOutputError

BENCH_THREADS = 16
"""In flight at once, as fio's iodepth and the S3 benchmark's client keep their paths busy."""


@dataclass(frozen=True)
class Twin:
    """A hand-run of Ceph's own tool on a harness figure's path, with what it measured."""

    command: str
    """The command as a user would type it (pool and image names included)."""
    bandwidth_mib_s: float
    where: str
    """The host it ran from: a node's name, or the target's client host."""

    @property
    def series_command(self) -> str:
        """The command with its scratch image or run name (`scratch_name`) as `harness-twin-<run>`:
        what names the twin's series, the same in every run."""
        return _SCRATCH.sub(f"{SCRATCH_PREFIX}<run>", self.command)


SCRATCH_PREFIX = "harness-twin-"
_SCRATCH = re.compile(re.escape(SCRATCH_PREFIX) + "[0-9a-f]{8}")


def scratch_name() -> str:
    """A twin's own image or `rados bench` run name, removed after it."""
    return f"{SCRATCH_PREFIX}{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class ObjectTwins:
    """`rados bench` from the S3 client's host: its write phase beside S3 PUT, the sequential
    read of what it wrote beside S3 GET."""

    write: Twin
    read: Twin


@dataclass(frozen=True)
class RbdBench:
    ops: int
    seconds: float
    bandwidth_mib_s: float


def rbd_bench_write_argv(pool: str, image: str, *, total_mib: int) -> list[str]:
    """Sequential 4 MiB writes to a fresh image: new objects, as fio's fill of its image."""
    return ["rbd", "bench", "--io-type", "write", "--io-pattern", "seq", "--io-size", "4M",
            "--io-threads", str(BENCH_THREADS), "--io-total", f"{total_mib}M", f"{pool}/{image}"]


def rados_bench_argv(pool: str, mode: str, *, seconds: int, run_name: str) -> list[str]:
    """`write` keeps its objects (`--no-cleanup`) for the `seq` read that follows."""
    extra = ["--no-cleanup"] if mode == "write" else []
    return ["rados", "bench", "-p", pool, str(seconds), mode, "-t", str(BENCH_THREADS),
            "--run-name", run_name, *extra]


def rados_cleanup_argv(pool: str, *, run_name: str) -> list[str]:
    return ["rados", "-p", pool, "cleanup", "--run-name", run_name]


SUMMARY = re.compile(r"elapsed:\s*\d+\s+ops:\s*(?P<ops>\d+)\s+ops/sec:\s*(?P<rate>[\d.]+(?:e[+-]?\d+)?)")
HEADER = re.compile(r"io_size (?P<size>\d+) ")


def parse_rbd_bench(text: str) -> RbdBench:
    """The closing line of `rbd bench`: its `ops/sec` is exact, while `elapsed` is cut to whole
    seconds and `bytes/sec` rounded to whole units, so the rate is ops/sec x io_size."""
    summary = SUMMARY.search(text)
    header = HEADER.search(text)
    if summary is None or header is None:
        raise CephOutputError("rbd bench printed no summary (elapsed, ops, ops/sec)")
    ops, per_s = int(summary["ops"]), float(summary["rate"])
    return RbdBench(ops=ops, seconds=ops / per_s if per_s > 0 else 0.0,
                    bandwidth_mib_s=per_s * int(header["size"]) / 2**20)
