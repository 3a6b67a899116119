"""The run's lifecycle: activate, write the run file, prepare the target, merge rows at the end."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import pytest

from harness.errors import HarnessError, ProfileError
from harness.plugin import interrupts
from harness.plugin.depth import session_depth
from harness.plugin.items import OutcomeRecorder
from harness.plugin.state import (
    WORKER_RUN_ID,
    HarnessSession,
    dry_run_asked,
    harness_session,
    session_key,
)
from harness.profile import Profile, load_profile
from harness.results import (
    RunMeta,
    harness_version,
    merge_run,
    new_run_id,
    recover_crashed,
    start_run,
    this_writer,
    utc_now_iso,
)
from harness.targets import PlanSink, make_target

log = logging.getLogger("harness.plugin")
DEFAULT_PROFILE = Path("profiles/lab.yaml")
HARNESS_FOLDERS = ("suites", "scenarios")
OUTCOME_RECORDER = "cluster-harness-outcomes"


def _is_active(config: pytest.Config) -> bool:
    """Record runs for suites/ and scenarios/, or when a profile or target is named explicitly;
    stay idle for the harness's own tests so they never touch a cluster."""
    if config.getoption("profile") or config.getoption("target"):
        return True
    roots = [config.rootpath / folder for folder in HARNESS_FOLDERS]
    for arg in config.args or [str(config.invocation_params.dir)]:
        path = (config.invocation_params.dir / arg.split("::")[0]).resolve()
        if any(path == root or root in path.parents for root in roots):
            return True
    return False


def _resolve(config: pytest.Config, given: str | None, default: Path) -> Path:
    path = Path(given) if given else default
    if path.is_absolute():
        return path
    from_cwd = config.invocation_params.dir / path
    return from_cwd if from_cwd.exists() or given else config.rootpath / path


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    if not _is_active(config):
        return
    profile_path = _resolve(config, config.getoption("profile"), DEFAULT_PROFILE)
    try:
        profile = load_profile(profile_path)
    except ProfileError as error:
        raise pytest.UsageError(str(error)) from None
    profile = _with_credentials_from_options(config, profile)
    workerinput: dict[str, Any] | None = getattr(config, "workerinput", None)
    runs_dir = _resolve(config, config.getoption("results_dir"), Path("reports/runs"))
    target_name = config.getoption("target") or profile.target
    run_id = workerinput[WORKER_RUN_ID] if workerinput else new_run_id()
    plan = PlanSink() if dry_run_asked(config) else None
    try:  # built now, so an unknown target or a profile it cannot use is one usage line
        target = make_target(target_name, profile, run_id=run_id, plan=plan)
    except HarnessError as error:
        prefix = "--dry-run: " if plan is not None else ""
        raise pytest.UsageError(f"{prefix}{error}") from None
    session = HarnessSession(
        profile=profile,
        profile_path=profile_path,
        target_name=target_name,
        target=target,
        runs_dir=runs_dir,
        run_id=run_id,
        plan=plan,
        process=workerinput["workerid"] if workerinput else "main",
        allow_disruption=bool(config.getoption("allow_disruption")),
        keep_lab=bool(config.getoption("keep_lab")),
        records=not (dry_run_asked(config) or config.option.collectonly),  # nothing runs: no run file
    )
    config.stash[session_key] = session
    if session.is_controller and session.records:
        config.pluginmanager.register(OutcomeRecorder(session), OUTCOME_RECORDER)


def pytest_unconfigure(config: pytest.Config) -> None:
    plugin = config.pluginmanager.get_plugin(OUTCOME_RECORDER)
    if plugin is not None:
        config.pluginmanager.unregister(plugin)
    state = harness_session(config)
    if state is not None and state.is_controller and state.prepared:
        # Prepared, yet no sessionfinish released it: pytest skips that hook when a Ctrl-C or
        # SIGTERM lands in another plugin's sessionstart, after ours had prepared the target.
        _release_after_failed_start(state, "interrupted")


def _with_credentials_from_options(config: pytest.Config, profile: Profile) -> Profile:
    """Command-line flags win over the profile's kubernetes section (environment comes last)."""
    given = {field: value for field, value in (
        ("kubeconfig", config.getoption("kubeconfig")),
        ("context", config.getoption("kube_context")),
        ("talosconfig", config.getoption("talosconfig")),
    ) if value}
    if not given:
        return profile
    paths = {k: Path(v) if k != "context" else v for k, v in given.items()}
    return profile.model_copy(update={"kubernetes": profile.kubernetes.model_copy(update=paths)})


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    session = harness_session(config)
    if session is None:
        return None
    return [f"cluster-harness: target {session.target.id}, profile {session.profile_path}, "
            f"run {session.run_id} -> {session.runs_dir}"]


def pytest_sessionstart(session: pytest.Session) -> None:
    # Runs before xdist starts its workers (its own hook is trylast).
    state = harness_session(session.config)
    if state is None or not state.is_controller:
        return
    state.meta = RunMeta(
        id=state.run_id,
        label=session.config.getoption("run_label"),
        target=state.target.id,
        profile=state.profile.name,
        harness_version=harness_version(),
        started=utc_now_iso(),
        writer=this_writer(),
        depth=session_depth(session.config).name,
    )
    if state.records:
        _recover_crashed_runs(session.config, state.runs_dir)
        try:
            start_run(state.runs_dir, state.meta)
        except OSError as error:  # a results dir that is a file, or not writable
            reason = ("it is not a directory" if state.runs_dir.exists() and not state.runs_dir.is_dir()
                      else error.strerror or str(error))
            raise pytest.UsageError(f"cannot write the run file in {state.runs_dir}: {reason}") from None
    interrupts.install(state.interrupts)  # SIGTERM becomes Ctrl-C; both are remembered
    if session.config.option.collectonly:
        return
    # pytest runs no sessionfinish when sessionstart itself fails or is interrupted (Ctrl-C,
    # SIGTERM): whatever prepare() made (a namespace, a lab) is released here instead.
    _show_lab_progress(session, state)
    try:
        state.target.prepare()
        state.prepared = True
        if state.records:  # a dry run sends nothing, heals included
            _pay_owed_rollbacks(session, state)
        if state.records:
            state.recorder.components(state.target.components())
    except HarnessError as error:
        _release_after_failed_start(state, "failed")
        raise pytest.UsageError(f"target {state.target.id} is not ready: {error}") from None
    except BaseException:
        _release_after_failed_start(state, "interrupted")
        raise


def _pay_owed_rollbacks(session: pytest.Session, state: HarnessSession) -> None:
    """Faults an earlier run applied on this target and died before undoing: healed first."""
    from harness.chaos.owed import RollbackLedger, pay_owed

    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    say = reporter.write_line if reporter is not None else log.warning
    pay_owed(RollbackLedger.in_results(state.runs_dir), state.target, say=say)


def _recover_crashed_runs(config: pytest.Config, runs_dir: Path) -> None:
    """Runs an earlier session left `running` when it was killed: marked crashed, rows merged."""
    try:
        recovered = recover_crashed(runs_dir)
    except OSError as error:  # never a reason not to run this session
        log.warning("recovering crashed runs in %s failed: %s", runs_dir, error)
        return
    for found in recovered:
        _say(config, f"cluster-harness: {found.sentence()}")


def _show_lab_progress(session: pytest.Session, state: HarnessSession) -> None:
    """The target's own lines in pytest's terminal: each step of a lab the session brings up
    (30-40 s with Ceph), the address a session uses when its kubeconfig's VIP is dead."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        state.target.show_progress(reporter.write_line)


def _release_after_failed_start(state: HarnessSession, status: str) -> None:
    try:
        state.target.release()
    except Exception as error:  # the original failure is what the user must see
        log.warning("releasing %s after an interrupted start failed: %s", state.target.id, error)
    state.prepared = False
    if state.records and state.meta is not None:  # the run file says how it ended, not `running`
        state.meta.ended = utc_now_iso()
        state.meta.status = status  # type: ignore[assignment]
        merge_run(state.runs_dir, state.meta)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    state = harness_session(item.config)
    if state is not None and state.is_controller:
        interrupts.raise_if_received(state.interrupts)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    state = harness_session(node.config)
    if state is not None:
        node.workerinput[WORKER_RUN_ID] = state.run_id


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object | None) -> None:
    state = harness_session(node.config)
    if state is not None and error is not None:
        state.crashed_workers.append(str(node.gateway.id))


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    state = harness_session(session.config)
    if state is None:
        return
    state.close()
    if not state.is_controller or state.meta is None:
        return
    prepared, state.prepared = state.prepared, False  # released (or kept) here, not again
    if state.interrupts and exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        exitstatus = session.exitstatus = pytest.ExitCode.INTERRUPTED  # its interrupt was lost
    if not state.records:
        if prepared:
            state.target.release()
        return
    try:
        if prepared and not state.keep_lab:
            state.target.release()
    finally:
        meta = state.meta
        meta.ended = utc_now_iso()
        meta.crashed_workers = state.crashed_workers
        meta.status = _status(int(exitstatus), bool(state.crashed_workers))
        path = merge_run(state.runs_dir, meta)
        _say(session.config, f"cluster-harness run file: {_short(path)} ({meta.status})")
        if not session.config.getoption("no_report"):
            _rebuild_report(session.config, state.runs_dir)


def _rebuild_report(config: pytest.Config, runs_dir: Path) -> None:
    from harness.report import build_report  # matplotlib and ruptures load only when needed

    try:
        index = build_report(runs_dir, runs_dir.parent)
    except HarnessError as error:
        _say(config, f"cluster-harness report not written: {error}")
        return
    _say(config, f"cluster-harness report: {_short(index)}")


def _say(config: pytest.Config, line: str) -> None:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_sep("-", line)


def _status(exitstatus: int, crashed: bool) -> Any:
    if crashed:
        return "incomplete"
    if exitstatus == pytest.ExitCode.INTERRUPTED:
        return "interrupted"
    return "passed" if exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED) else "failed"


def _short(path: Path) -> str:
    try:
        return str(path.relative_to(Path(os.getcwd())))
    except ValueError:
        return str(path)
