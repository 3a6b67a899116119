"""fio's per-second status reports as I/O completions, on a real fio run's output.

`data/fio-status-interval.json` is what fio 3.33 printed on this machine for the writer's own
flags against a temp file: `fio --output-format=json --status-interval=1 --name=chaos-io
--ioengine=libaio --rw=write --bs=4M --iodepth=8 --size=256M --runtime=3 --invalidate=0
--direct=1 --time_based --rate=40m` (three reports a second apart, then the final one).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.chaos.io_metrics import write_metrics
from harness.probes import Sample
from harness.workloads.fio import FioOutputError, parse_fio
from harness.workloads.fio_status import StatusReport, completions, parse_status_stream

SAMPLE = (Path(__file__).parent / "data" / "fio-status-interval.json").read_text()
MIB4 = 4 << 20


def documents() -> list[dict[str, object]]:
    decoder, found, at = json.JSONDecoder(), [], 0
    while (at := SAMPLE.find("{", at)) >= 0:
        document, at = decoder.raw_decode(SAMPLE, at)
        found.append(document)
    return found


def test_every_report_of_a_real_run_is_read_with_fios_own_counters() -> None:
    reports = parse_status_stream(SAMPLE)
    raw = documents()
    assert len(reports) == len(raw) == 4
    for report, document in zip(reports, raw, strict=True):
        write = document["jobs"][0]["write"]  # type: ignore[index]
        assert report.time == document["timestamp_ms"] / 1000  # type: ignore[operator]
        assert report.completed == write["lat_ns"]["N"] and report.io_bytes == write["io_bytes"]
    assert [r.completed for r in reports] == sorted(r.completed for r in reports)  # cumulative
    assert parse_fio(reports[-1].raw).io_mib == reports[-1].io_bytes / (1 << 20)  # the final report


def test_completions_add_up_to_the_last_report() -> None:
    reports = parse_status_stream(SAMPLE)
    done = completions(reports, block_bytes=MIB4)
    last = reports[-1]
    assert len(done) == last.completed
    assert sum(c.size for c in done) == last.io_bytes
    assert sum(c.latency_s for c in done) == pytest.approx(last.latency_mean_ns * last.completed / 1e9)
    assert max(c.latency_s for c in done) == pytest.approx(last.latency_max_ns / 1e9)
    assert {c.time for c in done} <= {r.time for r in reports}  # stamped at a report


def test_a_report_still_being_printed_is_left_out_and_warnings_between_reports_skipped() -> None:
    cut = SAMPLE.rfind('"fio version"') + 200
    text = SAMPLE[:cut].replace("}\n{", "}\nfio: io_u error on file /dev/harness-rbd: EIO\n{", 1)
    assert "io_u error" in text
    reports = parse_status_stream(text)
    assert len(reports) == 3
    with pytest.raises(FioOutputError, match="report 1 is not JSON"):
        parse_status_stream(SAMPLE[:200] + "\n" + SAMPLE)


def _stalled(reports: list[StatusReport], *, stall_s: float, stuck_s: float) -> list[StatusReport]:
    """The real reports, then `stall_s` of reports where nothing completes (fio still prints
    every second), then one where the stuck I/O completed after `stuck_s` with the others."""
    first, last = reports[0], reports[-1]
    quiet = [StatusReport(last.time + s, last.completed, last.io_bytes, last.latency_mean_ns,
                          last.latency_max_ns) for s in range(1, int(stall_s))]
    n = last.completed + 8
    total_ns = last.latency_mean_ns * last.completed + stuck_s * 1e9 + 7 * 0.005e9
    resumed = StatusReport(last.time + stall_s, n, last.io_bytes + 8 * MIB4, total_ns / n, stuck_s * 1e9)
    assert first.completed < last.completed
    return [*reports, *quiet, resumed]


def test_a_stall_shows_as_the_gap_between_reports_that_counted_completions() -> None:
    reports = _stalled(parse_status_stream(SAMPLE), stall_s=24, stuck_s=23.5)
    done = completions(reports, block_bytes=MIB4)
    samples = [Sample(c.time - c.latency_s, True, c.latency_s, None, str(c.size)) for c in done]
    last_before = reports[3].time
    metrics = write_metrics("io", samples, fault_at=last_before - 0.5, power_on_at=None,
                            ended=reports[-1].time + 1)
    assert metrics["io.longest_stall_s"] == pytest.approx(24.0)  # one report interval resolution
    assert metrics["io.latency_max_ms"] == pytest.approx(23500)  # the stuck I/O, exactly
    resumed = [c for c in done if c.time == reports[-1].time]
    assert len(resumed) == 8 and sorted(c.latency_s for c in resumed)[0] == pytest.approx(0.005)
