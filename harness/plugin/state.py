"""Plugin state kept in `config.stash`: one `HarnessSession` per pytest process.

The controller (or the only process, without xdist) owns the run: it creates the run id, writes
the run file, prepares and releases the target. xdist workers receive the run id through
`workerinput` and only record rows.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from harness.profile import Profile
from harness.results import RunMeta, RunRecorder
from harness.targets import PlanSink, Target

WORKER_RUN_ID = "cluster_harness_run_id"


@dataclass
class HarnessSession:
    profile: Profile
    profile_path: Path
    target_name: str
    target: Target
    runs_dir: Path
    run_id: str
    process: str  # "main" or the xdist worker id
    allow_disruption: bool
    keep_lab: bool
    plan: PlanSink | None = None
    """Under --dry-run: where the target records what it would send (it sends nothing)."""
    records: bool = True
    """False under --dry-run: nothing ran, so no run file and no report."""
    meta: RunMeta | None = None  # only on the controller
    prepared: bool = False
    _recorder: RunRecorder | None = None
    crashed_workers: list[str] = field(default_factory=list)
    interrupts: list[str] = field(default_factory=list)
    """Signals received (SIGINT, SIGTERM): see harness.plugin.interrupts."""

    @property
    def is_controller(self) -> bool:
        return self.process == "main"

    @property
    def recorder(self) -> RunRecorder:
        if self._recorder is None:
            self._recorder = RunRecorder(self.runs_dir, self.run_id, self.process)
        return self._recorder

    @property
    def lock_path(self) -> Path:
        # One lock per machine: disruptive and benchmark tests of any run never overlap.
        return Path(os.environ.get("CLUSTER_HARNESS_LOCK", "/tmp/cluster-harness-serial.lock"))

    def close(self) -> None:
        if self._recorder is not None:
            self._recorder.close()


session_key = pytest.StashKey[HarnessSession]()


def harness_session(config: pytest.Config) -> HarnessSession | None:
    """The session's harness state, or None when the plugin is idle (e.g. the harness's own tests)."""
    return config.stash.get(session_key, None)


def _require(config: pytest.Config) -> HarnessSession:
    session = harness_session(config)
    if session is None:
        raise pytest.UsageError(
            "cluster-harness is not active in this session: run tests under suites/ or scenarios/, "
            "or pass --profile/--target"
        )
    return session


def session_target(config: pytest.Config) -> Target:
    return _require(config).target


def session_recorder(config: pytest.Config) -> RunRecorder:
    return _require(config).recorder


def session_profile(config: pytest.Config) -> Profile:
    return _require(config).profile


def dry_run_asked(config: pytest.Config) -> bool:
    """`--dry-run` or `--dry-run-offline` (see dryrun.py)."""
    return bool(config.getoption("dry_run", False) or config.getoption("dry_run_offline", False))
