"""fio's per-second reports (`--status-interval=1`) as samples of the block suite's figures.

Real fio 3.33 runs on this machine (a file on local disk: the report format is the engine's
own, librbd's reports are the same JSON):
- `data/fio-status-interval-seq-write.json`: `fio --name=seq-write-4m --rw=write --bs=4M
  --size=256M --filename=<tmp file> --runtime=3 --time_based --status-interval=1
  --output-format=json --iodepth=4`
- `data/fio-status-interval-seq-read-ramp.json`: the same reading, `--rw=read --size=128M
  --ramp_time=1`
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from harness.workloads.fio import MIB, SEQ_WRITE_4M, job_flags, parse_fio

DATA = Path(__file__).parent / "data"


def reports(text: str) -> list[dict[str, object]]:
    decoder, found, at = json.JSONDecoder(), [], text.find("{")
    while at >= 0:
        document, end = decoder.raw_decode(text, at)
        found.append(document)
        at = text.find("{", end)
    return found


def test_the_final_report_gives_the_figures_and_consecutive_ones_the_seconds() -> None:
    text = (DATA / "fio-status-interval-seq-write.json").read_text()
    every = reports(text)
    final = every[-1]["jobs"][0]["write"]  # type: ignore[index]
    result = parse_fio(text)
    assert result.bandwidth_mib_s == pytest.approx(final["bw_bytes"] / MIB)  # type: ignore[index]
    stamps = [r["timestamp_ms"] / 1000 for r in every]  # type: ignore[operator]
    written = [r["jobs"][0]["write"]["io_bytes"] for r in every]  # type: ignore[index]
    # Whole seconds only: the final report, 0.24 s after the last periodic one, is left out.
    expected = [(b - a) / MIB / (t2 - t1) for a, b, t1, t2 in zip(written, written[1:], stamps, stamps[1:],
                                                                     strict=False) if t2 - t1 >= 0.5]
    assert len(every) == 4 and len(expected) == 2
    assert result.bandwidth_samples == pytest.approx(expected)
    assert result.iops_samples == pytest.approx([mib / 4 for mib in expected])  # 4 MiB per I/O


def test_an_interval_that_begins_in_the_ramp_is_no_sample() -> None:
    text = (DATA / "fio-status-interval-seq-read-ramp.json").read_text()
    elapsed = [int(e) for e in re.findall(r'"elapsed" : (\d+)', text)]
    assert elapsed[0] <= 1  # the first report is still in the 1 s ramp: its counters restart
    result = parse_fio(text)
    assert len(result.bandwidth_samples) == 2 and min(result.bandwidth_samples) > 0.5 * result.bandwidth_mib_s


def test_one_report_has_no_samples_and_the_flag_asks_for_them() -> None:
    text = (DATA / "fio-status-interval-seq-write.json").read_text()
    last = json.dumps(reports(text)[-1])
    assert parse_fio(last).bandwidth_samples == ()
    assert "--status-interval=1" in job_flags(replace(SEQ_WRITE_4M, per_second=True))
    assert "--status-interval=1" not in job_flags(SEQ_WRITE_4M)
