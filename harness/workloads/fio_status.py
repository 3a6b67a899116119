"""fio's periodic status reports (`--status-interval=1 --output-format=json`) as I/O completions.

Where fio's per-I/O latency log cannot be brought back (a pod on a cluster: the log file lives
and dies in the container, and fio writes it only when it exits), fio can print its whole JSON
report every second instead. The fio manual says of `--status-interval`: "Force a full status
dump of cumulative (from job start) values at time intervals", so each report carries, per
direction, the completed I/O count (`lat_ns.N`), bytes (`io_bytes`), and the mean and maximum of
the total latency (`lat_ns`, submission to completion, the same latency the lab's `_lat.log`
holds), stamped with the epoch time of the report (`timestamp_ms`). The manual also warns that
the JSON output then "technically isn't valid json, since the output will be collated sets of
valid json": the stream is cut into reports here. `lat_ns.N` is in fio's JSON since fio 3.18
(stat.c, 2020), `timestamp_ms` since 2016.

Consecutive reports give what completed in between: how many I/Os, how many bytes, the sum of
their latencies (mean x N, differenced) and, when the maximum rose, the one I/O that set it.
Each becomes an `IoCompletion` stamped at the later report, so a stall (no I/O completing)
is seen with the report interval's resolution (1 s) instead of per I/O; the latency total and
the worst latency are exact, the spread of the others within one second is their mean.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from harness.workloads.fio import FioOutputError, IoCompletion

STATUS_INTERVAL_S = 1
REPORT_START = '"fio version"'
"""Every JSON report of fio 3.x opens with this key, which lets a stream be cut into reports."""


@dataclass(frozen=True)
class StatusReport:
    """One of fio's cumulative reports, for one direction of its first job."""

    time: float
    """`timestamp_ms` of the report, seconds since the epoch (the clock of fio's host)."""
    completed: int
    """I/Os completed since the job started (`lat_ns.N`)."""
    io_bytes: int
    latency_mean_ns: float
    latency_max_ns: float
    error: int = 0
    raw: str = ""
    """The report's own JSON text, for `parse_fio` (the last one is fio's final report)."""


def status_flags() -> list[str]:
    """What turns fio's single final report into one report per second."""
    return [f"--status-interval={STATUS_INTERVAL_S}"]


def _report(document: dict[str, Any], raw: str, direction: str) -> StatusReport:
    try:
        job = document["jobs"][0]
        stats = job[direction]
        latency = stats["lat_ns"]
        return StatusReport(time=int(document["timestamp_ms"]) / 1000, completed=int(latency["N"]),
                            io_bytes=int(stats["io_bytes"]), latency_mean_ns=float(latency["mean"]),
                            latency_max_ns=float(latency["max"]), error=int(job.get("error", 0)), raw=raw)
    except (KeyError, IndexError, TypeError, ValueError) as error:
        raise FioOutputError(f"a fio status report lacks {error} (fio 3.18 and later report "
                             "lat_ns.N, io_bytes and timestamp_ms)") from None


def parse_status_stream(text: str, *, direction: str = "write") -> list[StatusReport]:
    """Every complete report in `text` (a pod's log: fio's stdout and stderr), in order.

    Lines between reports (fio's own warnings on stderr) are skipped; a report cut short at the
    end (the log was read while fio was still printing it) is left out, one cut short elsewhere
    is an error."""
    decoder = json.JSONDecoder()
    reports: list[StatusReport] = []
    starts = _report_starts(text)
    for index, at in enumerate(starts):
        try:
            document, end = decoder.raw_decode(text, at)
        except json.JSONDecodeError:
            if index == len(starts) - 1:
                break  # still being written when the log was read
            raise FioOutputError(f"fio status report {index + 1} is not JSON: "
                                 f"{text[at:at + 80]!r}") from None
        if isinstance(document, dict):
            reports.append(_report(document, text[at:end], direction))
    return reports


def _report_starts(text: str) -> list[int]:
    """Offsets of the `{` that opens each report: the brace before each `"fio version"` key."""
    starts, at = [], text.find(REPORT_START)
    while at >= 0:
        brace = text.rfind("{", 0, at)
        if brace >= 0 and text[brace + 1:at].strip() == "":
            starts.append(brace)
        at = text.find(REPORT_START, at + 1)
    return starts


def completions(reports: list[StatusReport], *, block_bytes: int) -> tuple[IoCompletion, ...]:
    """The I/Os that completed between consecutive reports (the first against an idle start),
    each stamped at the report that first counted it."""
    found: list[IoCompletion] = []
    start = StatusReport(time=reports[0].time if reports else 0.0, completed=0, io_bytes=0,
                         latency_mean_ns=0.0, latency_max_ns=0.0)
    for before, after in pairwise([start, *reports]):
        count = after.completed - before.completed
        if count <= 0:
            continue  # nothing completed in this interval: part of a stall
        size = (after.io_bytes - before.io_bytes) // count or block_bytes
        total_ns = after.latency_mean_ns * after.completed - before.latency_mean_ns * before.completed
        latencies = [total_ns / count] * count
        if after.latency_max_ns > before.latency_max_ns:  # the I/O that set the new maximum
            rest = count - 1
            share = (total_ns - after.latency_max_ns) / rest if rest else 0.0
            latencies = [after.latency_max_ns] + [max(0.0, share)] * rest
        found.extend(IoCompletion(after.time, ns / 1e9, size) for ns in latencies)
    return tuple(found)
