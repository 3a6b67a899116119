"""fio against an RBD image through librbd (fio's `rbd` engine): job command lines and the JSON parser.

The same `FioJob` runs in the lab (fio in a namespace, librbd talking to the lab's Ceph) and on
a cluster (a fio Job with a PVC uses the `libaio` engine on the block device). Every job is
bounded: `size` caps the bytes written, `runtime_s` the time.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

MIB = 1 << 20


if TYPE_CHECKING:
    from harness.workloads.fio_status import StatusReport

MIN_SAMPLE_S = 0.5


class FioOutputError(ValueError):
    """fio printed something that is not the JSON report we asked for."""


@dataclass(frozen=True)
class FioJob:
    name: str
    rw: str
    """`read`, `write` (sequential), `randread`, `randwrite`."""
    block_size: str
    """fio size notation: `4M`, `4k`."""
    iodepth: int = 16
    runtime_s: int = 20
    size: str = "2G"
    """Bytes the job may touch: sequential writes stop there (the data written is bounded)."""
    time_based: bool = False
    """Loop over `size` until `runtime_s` (reads, random I/O); off: one pass, at most `runtime_s`."""
    ramp_s: int = 0
    rate_mib_s: int | None = None
    """Cap the bandwidth (a background writer in a chaos scenario must leave the machine room)."""
    latency_log: str | None = None
    """Path prefix: fio then logs every I/O's completion (epoch ms) and latency to `<prefix>_lat.log`."""
    per_second: bool = False
    """fio prints its cumulative report every second too (`--status-interval=1`): the result then
    carries the bandwidth and IOPS of each second as samples."""

    @property
    def is_write(self) -> bool:
        return "write" in self.rw


SEQ_WRITE_4M = FioJob("seq-write-4m", "write", "4M", iodepth=16, runtime_s=40)
SEQ_READ_4M = FioJob("seq-read-4m", "read", "4M", iodepth=16, runtime_s=20, time_based=True, ramp_s=2)
RAND_WRITE_4K = FioJob("rand-write-4k", "randwrite", "4k", iodepth=32, runtime_s=10, time_based=True)
RAND_READ_4K = FioJob("rand-read-4k", "randread", "4k", iodepth=32, runtime_s=10, time_based=True)


def job_flags(job: FioJob) -> list[str]:
    """What the job asks of fio, whichever engine and target run it (rbd here, libaio on Rook)."""
    flags = [f"--rw={job.rw}", f"--bs={job.block_size}", f"--iodepth={job.iodepth}",
             f"--size={job.size}", f"--runtime={job.runtime_s}", "--invalidate=0", "--direct=1"]
    if job.time_based:
        flags.append("--time_based")
    if job.ramp_s:
        flags.append(f"--ramp_time={job.ramp_s}")
    if job.rate_mib_s:
        flags.append(f"--rate={job.rate_mib_s}m")
    if job.per_second:
        flags.append("--status-interval=1")
    return flags


def rbd_argv(job: FioJob, *, pool: str, image: str, client_id: str = "admin") -> list[str]:
    """fio with the `rbd` engine (librbd): no kernel rbd module needed."""
    argv = ["fio", "--output-format=json", f"--name={job.name}", "--ioengine=rbd",
            f"--clientname={client_id}", f"--pool={pool}", f"--rbdname={image}", *job_flags(job)]
    if job.latency_log:  # one line per I/O (log_avg_msec=0), stamped with the Unix epoch
        argv += [f"--write_lat_log={job.latency_log}", "--log_avg_msec=0", "--per_job_logs=0",
                 "--log_unix_epoch=1"]
    return argv


@dataclass(frozen=True)
class IoCompletion:
    """One I/O from fio's latency log."""

    time: float
    """When it completed, seconds since the epoch (comparable with `Event.time`)."""
    latency_s: float
    """Submission to completion."""
    size: int


def latency_log_path(prefix: str) -> str:
    return f"{prefix}_lat.log"


def parse_latency_log(text: str) -> tuple[IoCompletion, ...]:
    """`time_ms, latency_ns, direction, block_size, offset` per line (fio 3.x, log_unix_epoch)."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        fields = [f.strip() for f in line.split(",")]
        try:
            found.append(IoCompletion(int(fields[0]) / 1000, int(fields[1]) / 1e9, int(fields[3])))
        except (IndexError, ValueError):
            raise FioOutputError(f"latency log line {number} is not fio's format: {line[:80]!r}") from None
    return tuple(sorted(found, key=lambda c: c.time))


@dataclass(frozen=True)
class FioResult:
    job: str
    rw: str
    bandwidth_mib_s: float
    iops: float
    io_mib: float
    runtime_s: float
    clat_p50_ms: float
    clat_p99_ms: float
    clat_max_ms: float
    errors: int = 0
    bandwidth_samples: tuple[float, ...] = ()
    """MiB/s of each second, when the job asked for `per_second` reports."""
    iops_samples: tuple[float, ...] = ()


def _direction(job: dict[str, Any]) -> str:
    read, write = job.get("read", {}), job.get("write", {})
    return "write" if write.get("io_bytes", 0) >= read.get("io_bytes", 0) else "read"


def _percentile(clat: dict[str, Any], key: str) -> float:
    value = clat.get("percentile", {}).get(key)
    return float(value) / 1e6 if value is not None else 0.0


def parse_fio(text: str) -> FioResult:
    """The first job of `fio --output-format=json`; the direction that moved the data. With
    per-second reports (`--status-interval`) the last is fio's final one, and consecutive
    reports give each second's bandwidth and IOPS."""
    from harness.workloads import fio_status  # it reads fio's reports with this module's types

    final = text
    if text.count(fio_status.REPORT_START) > 1:
        reports = fio_status.parse_status_stream(text, direction="write")
        final = reports[-1].raw if reports else text
    start = final.find("{")  # librbd may print a warning line before the JSON
    try:
        data = json.loads(final[start:]) if start >= 0 else None
    except json.JSONDecodeError as error:
        raise FioOutputError(f"fio output is not JSON: {text[:120]!r}") from error
    if not isinstance(data, dict) or not data.get("jobs"):
        raise FioOutputError("fio output has no jobs")
    job = data["jobs"][0]
    direction = _direction(job)
    stats = job[direction]
    clat = stats.get("clat_ns", {})
    options = job.get("job options", {})
    return FioResult(job=str(job.get("jobname", "")), rw=str(options.get("rw", direction)),
                     bandwidth_mib_s=float(stats.get("bw_bytes", 0)) / MIB,
                     iops=float(stats.get("iops", 0.0)),
                     io_mib=float(stats.get("io_bytes", 0)) / MIB,
                     runtime_s=float(stats.get("runtime", 0)) / 1000,
                     clat_p50_ms=_percentile(clat, "50.000000"),
                     clat_p99_ms=_percentile(clat, "99.000000"),
                     clat_max_ms=float(clat.get("max", 0)) / 1e6,
                     errors=int(job.get("error", 0)),
                     **_per_second(text, direction) if final is not text else {})


def _in_ramp(report: StatusReport) -> bool:
    """Whether fio was still in its `ramp_time` at this report: its counters restart when the
    ramp ends, so an interval that begins in it straddles the restart."""
    job = json.loads(report.raw)["jobs"][0]
    given = str((job.get("job options") or {}).get("ramp_time", "0"))
    ramp = float(given.rstrip("s") or 0) if given.rstrip("s").replace(".", "", 1).isdigit() else 0.0
    return ramp > 0 and float(job.get("elapsed", 0)) <= ramp


def _per_second(text: str, direction: str) -> dict[str, tuple[float, ...]]:
    """Each second's MiB/s and IOPS, from the differences of consecutive cumulative reports. The
    final report comes when the job ends, a fraction of a second after the last periodic one:
    an interval under half a second is too short to stand for a second of the run, so it is left out."""
    from harness.workloads import fio_status

    reports = fio_status.parse_status_stream(text, direction=direction)
    bandwidth, iops = [], []
    for before, after in itertools.pairwise(reports):
        seconds = after.time - before.time
        if seconds >= MIN_SAMPLE_S and not _in_ramp(before):
            bandwidth.append((after.io_bytes - before.io_bytes) / MIB / seconds)
            iops.append((after.completed - before.completed) / seconds)
    return {"bandwidth_samples": tuple(bandwidth), "iops_samples": tuple(iops)}
