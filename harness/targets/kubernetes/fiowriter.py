"""fio writing in the background on a Rook volume: the `storage.rbd_write` observation's writer.

A Pod (not a Job: nothing may retry it) pinned to a node no fault of the scenario touches, the
profile's fio image, the PVC as a raw block device, exactly as the block suite's fio Job uses it
(`storagemanifests.fio_job`: libaio, O_DIRECT, the kernel RBD client of the node). Bounded twice:
fio's own `--runtime` with `--time_based`, and the pod's `activeDeadlineSeconds` (the kubelet
kills it past the run plus time to pull and attach, whatever happens to the harness).

fio prints its cumulative JSON report every second (`--status-interval=1`) to the pod's log, so
the harness reads progress while fio runs and after it ended, and whatever the pod printed before
it was stopped (`harness.workloads.fio_status` turns the reports into I/O completions; resolution
one second). The log is read before the pod is deleted; the PVC goes after the pod (its
protection finalizer waits for the pod anyway), both labelled and in the run's namespace.

The node's clock stamps the reports; Talos keeps it in sync (NTP), as the partition's announced
second assumes too. A PVC of a StorageClass with `volumeBindingMode: WaitForFirstConsumer` does
not bind for a pod pinned by `nodeName` (no scheduler picks the node), as for the fio Job.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection

from harness.profile import Profile
from harness.targets.base import TargetError
from harness.targets.kubernetes import manifests
from harness.targets.kubernetes import storagemanifests as sm
from harness.targets.kubernetes.api import KubeAPI
from harness.targets.kubernetes.errors import APIError
from harness.targets.kubernetes.settings import WaitSettings
from harness.targets.kubernetes.storage import default_client_node
from harness.targets.kubernetes.workloads import pod_problem
from harness.targets.storage import FioRun
from harness.workloads.fio import FioJob, FioOutputError, FioResult, IoCompletion, parse_fio
from harness.workloads.fio_status import (
    REPORT_START,
    STATUS_INTERVAL_S,
    StatusReport,
    parse_status_stream,
    status_flags,
)
from harness.workloads.fio_status import completions as status_completions

ROLE = "fio-writer"
LOG_LINES_PER_REPORT = 400
"""fio 3.33 prints ~275 lines per JSON report; the log read asks for every line of the run."""
UNITS = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}


def writer_argv(job: FioJob) -> list[str]:
    return [*sm.fio_argv(job), *status_flags()]


def writer_pod(name: str, *, run_id: str, image: str, node: str, claim: str, job: FioJob) -> manifests.Obj:
    body = manifests.pod(name, run_id=run_id, image=image, command=writer_argv(job), node=node,
                         role=ROLE)
    spec = body["spec"]
    spec["activeDeadlineSeconds"] = sm.fio_deadline_s(job)
    spec["containers"][0]["volumeDevices"] = [{"name": "data", "devicePath": sm.DEVICE_PATH}]
    spec["volumes"] = [{"name": "data", "persistentVolumeClaim": {"claimName": claim}}]
    return body


def writer_node(profile: Profile, *, avoid: Collection[str]) -> str:
    """The benchmarks' client node unless a fault hits it; else the first node none hits,
    workers first (a writer on a node that loses power would measure its own death)."""
    default = default_client_node(profile)
    ordered = [default, *(n.name for n in sorted(profile.nodes, key=lambda n: n.is_controlplane))]
    node = next((n for n in ordered if n not in avoid), None)
    if node is None:
        raise TargetError(f"every node of {profile.name} is disrupted: no node is left for the writer")
    return node


def writer_objects(profile: Profile, *, run_id: str, job: FioJob, size_gib: float,
                   avoid: Collection[str]) -> list[tuple[manifests.Obj, str]]:
    """The background writer's PVC and pod, with their purposes, for the dry-run plan."""
    node = writer_node(profile, avoid=avoid)
    avoided = f" (off {', '.join(avoid)}, which the method disrupts)" if avoid else ""
    claim = sm.pvc("rbd-1", run_id=run_id, storage_class=profile.storage.block_storage_class,
                   size_gib=size_gib)
    pod = writer_pod(manifests.object_name("fio-writer", job.name, "2"), run_id=run_id,
                     image=profile.images.fio, node=node, claim="rbd-1", job=job)
    return [(claim, "the background writer's block volume (deleted after the rollbacks)"),
            (pod, f"the background writer: fio on {node}{avoided}, its reports read from its log")]


def block_bytes(job: FioJob) -> int:
    size = job.block_size.strip().lower()
    return int(float(size[:-1]) * UNITS[size[-1]]) if size[-1] in UNITS else int(size)


class PodFioRun(FioRun):
    """One writer pod: started (its first report seen), finished or stopped, its log kept."""

    def __init__(self, *, api: Callable[[], KubeAPI], namespace: str, name: str, job: FioJob,
                 wait: WaitSettings, sleep: Callable[[float], None] = time.sleep) -> None:
        self._api, self.namespace, self.name, self.job = api, namespace, name, job
        self.wait, self.sleep = wait, sleep
        self._log: str | None = None  # kept once fio ended or the pod was stopped
        self._deleted = False

    def _read_log(self) -> str:
        lines = (self.job.runtime_s + self.job.ramp_s + 60) * LOG_LINES_PER_REPORT // STATUS_INTERVAL_S
        return self._api().pod_logs(self.namespace, self.name, tail_lines=lines)

    def await_first_report(self) -> None:
        """Until fio has printed its first report (it is writing); the pod is deleted and the
        start fails with the pod's own words when it cannot get there within the pod timeout."""
        deadline = time.monotonic() + self.wait.pod_timeout_s
        why = f"printed no fio report within {self.wait.pod_timeout_s:g} s"
        while time.monotonic() < deadline:
            try:
                if REPORT_START in self._read_log():
                    return
            except APIError:
                pass  # not started yet: its container has no log
            problem = pod_problem(self._api().read_pod(self.namespace, self.name))
            if problem is not None:
                why = f"failed: {problem}{self._tail()}"
                break
            self.sleep(self.wait.poll_interval_s)
        self.stop()
        raise TargetError(f"fio writer pod {self.namespace}/{self.name} {why} (deleted)")

    def _tail(self) -> str:
        try:
            lines = self._read_log().strip().splitlines()
        except APIError:
            return ""
        return f"; log: {lines[-1][:200]}" if lines else ""

    def finish(self, timeout_s: float) -> FioResult:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and not self._ended():
            self.sleep(self.wait.poll_interval_s)
        if self._ended():
            self._log = self._read_log()
        else:
            self.stop()  # overdue: I/O stuck past the end is part of the stall
        reports = self._reports()
        if not reports:
            raise TargetError(f"fio writer pod {self.name} printed no report")
        try:
            return parse_fio(reports[-1].raw)
        except FioOutputError as error:
            raise TargetError(f"fio writer pod {self.name}: {error}") from None

    def _ended(self) -> bool:
        pod = self._api().read_pod(self.namespace, self.name)
        return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")

    def stop(self) -> None:
        """Keep what the pod printed, then delete it (its fio dies with it); safe twice."""
        if self._deleted:
            return
        if self._log is None:
            try:
                self._log = self._read_log()
            except APIError:
                self._log = ""  # the pod is gone or unreachable: nothing was reported
        self._api().delete_pod(self.namespace, self.name)
        self._deleted = True

    def _reports(self) -> list[StatusReport]:
        direction = "write" if self.job.is_write else "read"
        return parse_status_stream(self._log or "", direction=direction)

    def completions(self) -> tuple[IoCompletion, ...]:
        try:
            return status_completions(self._reports(), block_bytes=block_bytes(self.job))
        except FioOutputError as error:
            raise TargetError(f"fio writer pod {self.name}: {error}") from None
