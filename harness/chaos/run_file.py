"""A run file for a scenario run outside pytest (`harness chaos run`), as a pytest session writes.

Started before the scenario, so a harness killed mid-run still leaves a `running` file that the
next session marks `crashed`; the scenario's outcome, timelines and figures go through the same
recorder, and the merge at the end sets the status. The report then shows CLI runs beside
pytest's.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from harness.chaos.result import ScenarioResult
from harness.chaos.rows import result_rows
from harness.results import (
    RunMeta,
    harness_version,
    merge_run,
    new_run_id,
    start_run,
    this_writer,
    utc_now_iso,
)
from harness.results.recorder import RunRecorder
from harness.results.records import Outcome
from harness.targets.base import Target


@dataclass
class ScenarioRunFile:
    meta: RunMeta
    recorder: RunRecorder
    nodeid: str
    passed: bool | None = None

    def record(self, result: ScenarioResult) -> None:
        for timeline in result_rows(result, nodeid=self.nodeid):
            self.recorder.timeline(timeline)
        self.passed = result.passed
        message = None if result.passed else "; ".join(result.problems()) or result.error
        self.recorder.outcome(Outcome(nodeid=self.nodeid, outcome="passed" if result.passed else "failed",
                                      duration_s=round(result.ended - result.started, 6),
                                      message=message))


@contextmanager
def scenario_run_file(runs_dir: Path, target: Target, *, source: str, title: str,
                      label: str | None = None) -> Iterator[ScenarioRunFile]:
    meta = RunMeta(id=new_run_id(), target=target.id, profile=target.profile.name,
                   harness_version=harness_version(), started=utc_now_iso(), label=label,
                   writer=this_writer())
    start_run(runs_dir, meta)
    recorder = RunRecorder(runs_dir, meta.id, "main")
    run = ScenarioRunFile(meta=meta, recorder=recorder, nodeid=f"{source}::{title}")
    try:
        recorder.components(target.components())
        yield run
    except KeyboardInterrupt:  # Ctrl-C, SIGTERM, ScenarioInterrupted: rollbacks ran
        meta.status = "interrupted"
        raise
    except BaseException:  # a refusal or an error: the scenario did not pass
        meta.status = "failed"
        raise
    else:
        meta.status = "incomplete" if run.passed is None else ("passed" if run.passed else "failed")
    finally:
        recorder.close()
        meta.ended = utc_now_iso()
        merge_run(runs_dir, meta)
