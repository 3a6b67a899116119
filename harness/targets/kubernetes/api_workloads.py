"""Adapter calls for workloads: pods, their logs, exec, jobs."""

from __future__ import annotations

import contextlib
import json
import logging
import math
import re
from collections.abc import Iterator
from typing import Any

import websocket
from kubernetes import client as k8s
from kubernetes import stream as k8s_stream
from kubernetes import watch as k8s_watch
from kubernetes.client.exceptions import ApiException

from harness.targets.kubernetes.errors import APIError, APIForbidden, APINotFound
from harness.targets.kubernetes.request import CLIENT_FAILURES, Obj, RequestPath, handshake_exception

log = logging.getLogger(__name__)


SERVICE_ACCOUNT_PAUSE_S = 0.2
SERVICE_ACCOUNT_TRIES = 150
"""A pod create waits up to 30 s for a new namespace's `default` ServiceAccount: the controller
manager's serviceaccount controller makes it a moment after the namespace (Kubernetes' e2e
framework waits for it too), and until then the ServiceAccount admission plugin refuses pods."""

MISSING_SERVICE_ACCOUNT = re.compile(r'error looking up service account .*serviceaccount ".*" not found')


def service_account_missing(error: APIForbidden) -> bool:
    """The ServiceAccount admission plugin's refusal of a pod whose namespace is too new."""
    message = error.status.message if error.status is not None else str(error)
    return bool(MISSING_SERVICE_ACCOUNT.search(message))


class WorkloadCalls(RequestPath):
    def create_pod(self, namespace: str, body: Obj) -> Obj:
        return dict(self.api_client.sanitize_for_serialization(self.create_pod_answer(namespace, body)))

    def create_pod_answer(self, namespace: str, body: Obj) -> Any:
        """`create_pod`, but the client's own answer (its V1Pod), for a caller that times the
        create: turning the answer into dicts is the harness's work, not the API server's."""
        what = f"create pod {namespace}/{body['metadata']['name']}"
        for attempt in range(1, SERVICE_ACCOUNT_TRIES + 1):
            try:
                return self.call(what, self.core.create_namespaced_pod, namespace, body)
            except APIForbidden as error:
                if not service_account_missing(error) or attempt == SERVICE_ACCOUNT_TRIES:
                    raise
                if attempt == 1:
                    log.info("%s: the namespace has no default ServiceAccount yet, waiting", what)
                self.sleep(SERVICE_ACCOUNT_PAUSE_S)
        raise AssertionError("unreachable")  # pragma: no cover

    def read_pod(self, namespace: str, name: str) -> Obj:
        return dict(
            self._call(f"read pod {namespace}/{name}", self.core.read_namespaced_pod, name, namespace)
        )

    def list_pods(self, namespace: str, *, label_selector: str) -> list[Obj]:
        return list(
            self._call(
                f"list pods {namespace} {label_selector}",
                self.core.list_namespaced_pod,
                namespace,
                label_selector=label_selector,
            )["items"]
        )

    def watch_pod(self, namespace: str, name: str, *, since: str, timeout_s: float) -> Iterator[Obj]:
        """The pod as each change after resourceVersion `since` leaves it, as the API server
        sends them (a watch: no polling interval between a change and its reading), until the
        server ends the watch after about `timeout_s`."""
        what = f"watch pod {namespace}/{name}"
        watcher = k8s_watch.Watch()
        read_s = timeout_s + self.settings.read_timeout_s  # the server ends it first
        try:
            for event in watcher.stream(
                self.core.list_namespaced_pod, namespace, field_selector=f"metadata.name={name}",
                resource_version=since, timeout_seconds=max(1, math.ceil(timeout_s)),
                _request_timeout=(self.settings.connect_timeout_s, read_s),
            ):
                if event["type"] == "ERROR":
                    raise APIError(f"{what}: {event['raw_object'].get('message')}", what=what)
                yield dict(event["raw_object"])
        except CLIENT_FAILURES as exc:
            raise self.failure(what, exc) from exc
        finally:
            watcher.stop()

    def delete_pod(self, namespace: str, name: str, *, grace_period_s: int = 0) -> None:
        """`grace_period_s` > 0 keeps the pod until its kubelet saw it stop (its SIGTERM trap ran)."""
        with contextlib.suppress(APINotFound):
            self._call(
                f"delete pod {namespace}/{name}",
                self.core.delete_namespaced_pod,
                name,
                namespace,
                grace_period_seconds=grace_period_s,
            )

    def pod_logs(self, namespace: str, name: str, *, tail_lines: int = 2000) -> str:
        # Raw bytes: the client would json-parse logs that happen to be JSON (iperf3's report)
        # and hand back their Python repr, and plain text as "b'...'".
        def read(*, _request_timeout: Any) -> str:
            answer = self.core.read_namespaced_pod_log(
                name, namespace, tail_lines=tail_lines, _preload_content=False,
                _request_timeout=_request_timeout,
            )
            return bytes(answer.data).decode("utf-8", errors="replace")

        return str(self._call(f"read logs of pod {namespace}/{name}", read))

    def create_job(self, namespace: str, body: Obj) -> Obj:
        return dict(
            self._call(
                f"create job {namespace}/{body['metadata']['name']}",
                self.batch.create_namespaced_job,
                namespace,
                body,
            )
        )

    def read_job(self, namespace: str, name: str) -> Obj:
        return dict(
            self._call(f"read job {namespace}/{name}", self.batch.read_namespaced_job, name, namespace)
        )

    def delete_job(self, namespace: str, name: str) -> None:
        with contextlib.suppress(APINotFound):
            self._call(
                f"delete job {namespace}/{name}",
                self.batch.delete_namespaced_job,
                name,
                namespace,
                propagation_policy="Background",
            )

    def exec_in_pod(
        self, namespace: str, name: str, command: list[str], *, container: str | None = None,
        timeout_s: float = 30.0, attempts: int | None = None,
    ) -> Obj:
        """Run `command` in the pod; {"stdout", "stderr", "exit_code"} once it ends (or times out)."""
        # `stream()` swaps the request method of its ApiClient while it runs: give it its own.
        core = k8s.CoreV1Api(k8s.ApiClient(self.api_client.configuration))
        extra = {"container": container} if container else {}

        def run(*, _request_timeout: Any) -> Obj:
            try:
                session = k8s_stream.stream(
                    core.connect_get_namespaced_pod_exec, name, namespace, command=command,
                    stdout=True, stderr=True, stdin=False, tty=False, _preload_content=False, **extra,
                )
                session.run_forever(timeout=timeout_s)
                if session.is_open():
                    session.close()
                    raise TimeoutError(f"still running after {timeout_s:g} s")
                status = session.read_channel(k8s_stream.ws_client.ERROR_CHANNEL)
                return {"stdout": session.read_stdout(), "stderr": session.read_stderr(),
                        "exit_code": exit_code_from_status(status)}
            except websocket.WebSocketException as error:
                raise ConnectionError(str(error)) from error
            except AttributeError as error:
                # The client wraps a refused handshake in ApiException(status=0) without a body,
                # then fails decoding that body: recover the status and body it was about.
                refused = error.__context__
                if not isinstance(refused, ApiException):
                    raise
                raise handshake_exception(str(refused.reason)) from refused

        return dict(self._call(f"exec in pod {namespace}/{name}", run, timeout_s=timeout_s,
                               attempts=attempts))


EXIT_STATUS = re.compile(r"exit status (\d+)\s*$")


def exit_code_from_status(text: str) -> int | None:
    """The exit code in the exec stream's closing Status (its error channel); None without one.

    A kubelet says `Success`, or `NonZeroExitCode` with an `ExitCode` cause holding the number.
    Other servers of the kubelet API (kwok) report a failed command as an internal error whose
    message ends in Go's `exit status N`: read that too, rather than call an honest exit 1 a
    broken stream (the client's own `returncode` raises on it)."""
    if not text:
        return None
    try:
        status = json.loads(text)
    except ValueError:
        return None
    if status.get("status") == "Success":
        return 0
    for cause in (status.get("details") or {}).get("causes") or []:
        if cause.get("reason") == "ExitCode" and str(cause.get("message", "")).isdigit():
            return int(cause["message"])
    found = EXIT_STATUS.search(str(status.get("message", "")))
    return int(found.group(1)) if found else None
