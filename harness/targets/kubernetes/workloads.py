"""Workloads on the kubernetes target: pods and Jobs pinned to a node, awaited with a timeout and
progress lines, their logs collected, commands exec'd in them; and a preflight that starts a tiny
pod per node and image and reports where an image cannot run (arm64 without that arch, say).

Everything goes through the adapter (`KubeAPI`); nothing here knows the client library.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from harness.targets.base import TargetError
from harness.targets.kubernetes import manifests
from harness.targets.kubernetes.api import KubeAPI, Obj
from harness.targets.kubernetes.errors import APIError
from harness.targets.kubernetes.settings import WaitSettings

log = logging.getLogger("harness.kubernetes.workloads")

Progress = Callable[[str], None]
MIN_WAIT_S = 0.5
"""A pod past the shared preflight deadline still gets one look at its status."""
STUCK_REASONS = frozenset({"ErrImagePull", "ImagePullBackOff", "InvalidImageName",
                           "CreateContainerConfigError", "CreateContainerError", "CrashLoopBackOff"})
"""A container waiting for one of these will not start by waiting longer."""


class WorkloadError(TargetError):
    """A pod or Job did not start, failed, or overstayed its timeout."""


@dataclass(frozen=True)
class JobOutcome:
    name: str
    pod: str
    succeeded: bool
    logs: str
    reason: str = ""

    def log_tail(self) -> str:
        """The Job's last words: its last three log lines on one line, at most 300 characters."""
        return " | ".join(self.logs.strip().splitlines()[-3:])[-300:]


@dataclass(frozen=True)
class ExecResult:
    stdout: str
    stderr: str
    exit_code: int | None


@dataclass(frozen=True)
class PreflightProblem:
    node: str
    image: str
    reason: str

    def __str__(self) -> str:
        return f"{self.image} cannot run on {self.node}: {self.reason}"


def pod_problem(pod: Obj) -> str | None:
    """Why this pod will not get anywhere, or None while it still may."""
    status = pod.get("status") or {}
    for container in status.get("containerStatuses") or []:
        waiting = (container.get("state") or {}).get("waiting") or {}
        if waiting.get("reason") in STUCK_REASONS:
            return f"{waiting['reason']}: {waiting.get('message', '')}".rstrip(": ")
    if status.get("phase") == "Failed":
        for container in status.get("containerStatuses") or []:
            ended = (container.get("state") or {}).get("terminated") or {}
            if ended:
                return f"exited {ended.get('exitCode')} ({ended.get('reason', '')})"
        return str(status.get("reason") or status.get("message") or "Failed")
    return None


def preflight_pods(*, run_id: str, nodes: Iterable[str],
                   images: Mapping[str, list[str]]) -> list[tuple[str, str, Obj]]:
    """(node, image, pod) for every pair: the image's command, pinned to the node."""
    found = []
    for index, (image, command) in enumerate(images.items()):
        for node in nodes:
            body = manifests.preflight_pod(node, run_id=run_id, image=image, command=command)
            body["metadata"]["name"] = manifests.object_name("preflight", node, str(index))
            found.append((node, image, body))
    return found


def pod_is_ready(pod: Obj) -> bool:
    status = pod.get("status") or {}
    conditions = status.get("conditions") or []
    return status.get("phase") == "Running" and any(
        c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def _pod_state(pod: Obj) -> str:
    status = pod.get("status") or {}
    waiting = [((c.get("state") or {}).get("waiting") or {}).get("reason")
               for c in status.get("containerStatuses") or []]
    detail = ", ".join(w for w in waiting if w)
    return f"{status.get('phase', 'Unknown')}" + (f" ({detail})" if detail else "")


class Workloads:
    def __init__(self, *, api: Callable[[], KubeAPI], wait: WaitSettings,
                 progress: Progress | None = None, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._api = api
        self.wait = wait
        self.progress = progress or (lambda line: log.info("%s", line))
        self.sleep = sleep
        self.clock = clock

    @property
    def api(self) -> KubeAPI:
        return self._api()

    def _poll(self, what: str, timeout_s: float, check: Callable[[], tuple[bool, str]]) -> None:
        """Call `check` until it says done; a progress line every `progress_every_s`."""
        began = self.clock()
        next_line = began + self.wait.progress_every_s
        while True:
            done, state = check()
            if done:
                return
            now = self.clock()
            if now - began > timeout_s:
                raise WorkloadError(f"{what} not done within {timeout_s:g} s (last: {state})")
            if now >= next_line:
                self.progress(f"waiting for {what}: {state}, {now - began:.0f} s")
                next_line = now + self.wait.progress_every_s
            self.sleep(self.wait.poll_interval_s)

    # -- pods --------------------------------------------------------------------------
    def start_pod(self, namespace: str, body: Obj) -> str:
        self.api.create_pod(namespace, body)
        return str(body["metadata"]["name"])

    def wait_pod(self, namespace: str, name: str, *, ready: bool = True,
                 timeout_s: float | None = None) -> Obj:
        """Until the pod is Ready (or, with `ready=False`, has finished); raises if it cannot get there."""
        found: Obj = {}

        def check() -> tuple[bool, str]:
            nonlocal found
            found = self.api.read_pod(namespace, name)
            problem = pod_problem(found)
            if problem is not None:
                raise WorkloadError(f"pod {namespace}/{name} failed: {problem}")
            phase = (found.get("status") or {}).get("phase")
            return (pod_is_ready(found) if ready else phase == "Succeeded"), _pod_state(found)

        self._poll(f"pod {namespace}/{name}", timeout_s or self.wait.pod_timeout_s, check)
        return found

    def logs(self, namespace: str, pod: str) -> str:
        return self.api.pod_logs(namespace, pod)

    def exec(self, namespace: str, pod: str, command: list[str], *, container: str | None = None,
             timeout_s: float = 30.0) -> ExecResult:
        # One retry at most: a command that overstayed once would likely overstay again.
        found = self.api.exec_in_pod(namespace, pod, command, container=container,
                                     timeout_s=timeout_s, attempts=2)
        code = found.get("exit_code")
        return ExecResult(str(found.get("stdout") or ""), str(found.get("stderr") or ""),
                          None if code is None else int(code))

    # -- jobs --------------------------------------------------------------------------
    def run_job(self, namespace: str, body: Obj, *, timeout_s: float | None = None) -> JobOutcome:
        """Create the Job, wait until it succeeded or failed, and return its pod's logs."""
        name = str(body["metadata"]["name"])
        self.api.create_job(namespace, body)
        outcome = {"succeeded": False, "reason": ""}

        def check() -> tuple[bool, str]:
            status = self.api.read_job(namespace, name).get("status") or {}
            failed = [c for c in status.get("conditions") or []
                      if c.get("type") == "Failed" and c.get("status") == "True"]
            if status.get("succeeded"):
                outcome["succeeded"] = True
                return True, "succeeded"
            if failed or status.get("failed"):
                outcome["reason"] = str((failed or [{}])[0].get("reason") or "failed")
                return True, "failed"
            return False, f"active={status.get('active', 0)}"

        self._poll(f"job {namespace}/{name}", timeout_s or self.wait.job_timeout_s, check)
        pods = sorted(self.api.list_pods(namespace, label_selector=f"job-name={name}"),
                      key=lambda p: str(p["metadata"].get("creationTimestamp", "")))
        if not pods:
            raise WorkloadError(f"job {namespace}/{name} finished without a pod")
        pod = pods[-1]["metadata"]["name"]
        reason = str(outcome["reason"]) or (pod_problem(pods[-1]) or "")
        return JobOutcome(name=name, pod=pod, succeeded=bool(outcome["succeeded"]),
                          logs=self.logs(namespace, pod), reason=reason)

    # -- preflight ---------------------------------------------------------------------
    def preflight(self, *, namespace: str, run_id: str, nodes: Iterable[str],
                  images: Mapping[str, list[str]], timeout_s: float | None = None,
                  ) -> list[PreflightProblem]:
        """One tiny pod per (node, image) running the image's no-op command; every pair that
        does not succeed is a problem (pull errors, wrong architecture, unschedulable). All pods
        share one deadline: they run at once, so a stuck pair costs one timeout, not one each."""
        started = [(node, image, self.start_pod(namespace, body))
                   for node, image, body in preflight_pods(run_id=run_id, nodes=nodes, images=images)]
        deadline = time.monotonic() + (timeout_s or self.wait.pod_timeout_s)
        problems = []
        try:
            for node, image, name in started:
                try:
                    left = max(deadline - time.monotonic(), MIN_WAIT_S)
                    self.wait_pod(namespace, name, ready=False, timeout_s=left)
                except WorkloadError as error:
                    problems.append(PreflightProblem(node, image, self._why(namespace, name, error)))
        finally:
            for _, _, name in started:
                self.api.delete_pod(namespace, name)
        return problems

    def _why(self, namespace: str, pod: str, error: WorkloadError) -> str:
        """The error, plus the last log line (an `exec format error` names a wrong architecture)."""
        try:
            lines = self.logs(namespace, pod).strip().splitlines()
        except APIError:
            lines = []
        return f"{error}" + (f"; log: {lines[-1][:160]}" if lines else "")
