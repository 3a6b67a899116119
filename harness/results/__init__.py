"""Run files: one versioned JSON file per run, merged from every pytest process, loaded into pandas
and typed records."""

from harness.results.frames import RunFrames, load_frames, series_key
from harness.results.probe_records import (
    EventRecord,
    EventsTimeline,
    ProbeTimeline,
    SampleColumns,
    WindowRecord,
)
from harness.results.recorder import RunRecorder
from harness.results.records import (
    FORMAT_VERSION,
    Measurement,
    Outcome,
    RunMeta,
    Timeline,
    Writer,
    harness_version,
    new_run_id,
    utc_now_iso,
)
from harness.results.recovery import Recovered, recover_crashed
from harness.results.run_records import RunTimelines, trended_measurements
from harness.results.scenario_records import ExpectationRecord, ScenarioRecord, StepRecord
from harness.results.scrub import scrub, scrub_text
from harness.results.store import RunFileError, merge_run, read_run_file, run_files, start_run
from harness.results.writer import this_writer

__all__ = [
    "FORMAT_VERSION",
    "EventRecord",
    "EventsTimeline",
    "ExpectationRecord",
    "Measurement",
    "Outcome",
    "ProbeTimeline",
    "Recovered",
    "RunFileError",
    "RunFrames",
    "RunMeta",
    "RunRecorder",
    "RunTimelines",
    "SampleColumns",
    "ScenarioRecord",
    "StepRecord",
    "Timeline",
    "WindowRecord",
    "Writer",
    "harness_version",
    "load_frames",
    "merge_run",
    "new_run_id",
    "read_run_file",
    "recover_crashed",
    "run_files",
    "scrub",
    "scrub_text",
    "series_key",
    "start_run",
    "this_writer",
    "trended_measurements",
    "utc_now_iso",
]
