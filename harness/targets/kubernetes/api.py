"""The one adapter over the official `kubernetes` client: every API call goes through `_call`.

`_call` owns timeouts (explicit on every request), bounded retries of retryable failures with
the attempt number in the log (`#2/5`), and the translation of client exceptions into ours
(`errors.py`). Objects go in and come out as plain dicts, so nothing above this module depends
on the client's model classes.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import urllib3
import websocket
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes import stream as k8s_stream
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

from harness.targets.kubernetes.errors import (
    APIConnectionError,
    APIError,
    APINotFound,
    KubeconfigError,
    error_for_status,
)
from harness.targets.kubernetes.settings import ClientSettings

log = logging.getLogger("harness.kubernetes.api")

Obj = dict[str, Any]
_HANDSHAKE = re.compile(r"^Handshake status (\d{3})\b")


def connection_failure(error: BaseException) -> str:
    """What went wrong on the wire, without urllib3's wrappers and connection-object reprs."""
    while isinstance(error, urllib3.exceptions.MaxRetryError) and error.reason is not None:
        error = error.reason
    words = [a for a in error.args if isinstance(a, str)] if isinstance(
        error, urllib3.exceptions.HTTPError) else []
    return " ".join((words[-1] if words else str(error)).split())[:160]


def handshake_exception(reason: str) -> Exception:
    """An exec WebSocket that failed to open, as `_call` understands failures: an ApiException
    with the HTTP status and body when the server answered, else a ConnectionError.

    websocket-client words it `Handshake status <code> <text> -+-+- <headers> -+-+- <body>`.
    """
    match = _HANDSHAKE.match(reason)
    if match is None:
        return ConnectionError(reason)
    head, _, rest = reason.partition(" -+-+- ")
    body = rest.rpartition(" -+-+- ")[2]
    found = ApiException(status=int(match[1]), reason=head)
    found.body = None if body == "None" else body
    return cast(Exception, found)  # the client is untyped


def kubeconfig_path(explicit: Path | None) -> Path:
    """The profile's path, else the first file of $KUBECONFIG, else ~/.kube/config."""
    if explicit is not None:
        return explicit.expanduser()
    env = os.environ.get("KUBECONFIG", "")
    first = env.split(os.pathsep)[0] if env else ""
    return Path(first).expanduser() if first else Path.home() / ".kube" / "config"


def load_client(*, kubeconfig: Path, context: str | None, settings: ClientSettings) -> k8s.ApiClient:
    if not kubeconfig.is_file():
        raise KubeconfigError(
            f"no kubeconfig at {kubeconfig}: set kubernetes.kubeconfig in the profile or $KUBECONFIG"
        )
    configuration = k8s.Configuration()
    try:
        k8s_config.load_kube_config(
            config_file=str(kubeconfig),
            context=context,
            client_configuration=configuration,
            persist_config=False,
        )
    except (ConfigException, OSError, ValueError, KeyError, TypeError) as error:
        reason = " ".join(str(error).split())[:200]
        raise KubeconfigError(f"kubeconfig {kubeconfig} is not usable: {reason}") from None
    configuration.retries = False  # our `_call` retries; urllib3 must not retry underneath it
    configuration.connection_pool_maxsize = 8  # probers call from several threads at once
    return k8s.ApiClient(configuration)


class KubeAPI:
    """Typed-enough access to the few API kinds the target uses; raises only `APIError`s."""

    def __init__(
        self,
        *,
        api_client: k8s.ApiClient,
        settings: ClientSettings | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.api_client = api_client
        self.settings = settings or ClientSettings()
        self.sleep = sleep
        self.core = k8s.CoreV1Api(api_client)
        self.batch = k8s.BatchV1Api(api_client)
        self.coordination = k8s.CoordinationV1Api(api_client)
        self.custom = k8s.CustomObjectsApi(api_client)
        self.version_api = k8s.VersionApi(api_client)

    @property
    def host(self) -> str:
        return str(self.api_client.configuration.host)

    # -- the one request path ------------------------------------------------------------
    def _call(
        self,
        what: str,
        method: Callable[..., Any],
        *args: Any,
        attempts: int | None = None,
        timeout_s: float | None = None,
        **kwargs: Any,
    ) -> Any:
        total = attempts or self.settings.attempts
        read_s = timeout_s if timeout_s is not None else self.settings.read_timeout_s
        timeout = (min(self.settings.connect_timeout_s, read_s), read_s)
        for attempt in range(1, total + 1):
            try:
                result = method(*args, _request_timeout=timeout, **kwargs)
            except ApiException as exc:
                error: APIError = error_for_status(int(exc.status or 0), exc.body, what=what)
                cause: BaseException = exc
            except ValueError as exc:  # the client's models reject an answer they cannot read
                error = APIError(f"{what}: unreadable answer from {self.host} ({exc})", what=what)
                cause = exc
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                reason = connection_failure(exc)
                error = APIConnectionError(f"{what}: no answer from {self.host} ({reason})", what=what)
                cause = exc
            else:
                return self.api_client.sanitize_for_serialization(result)
            if not error.retryable or attempt == total:
                if total > 1 and error.retryable:
                    log.warning("%s failed #%d/%d, giving up: %s", what, attempt, total, error)
                raise error from cause
            pause = self.settings.backoff_before(attempt + 1)
            log.info("%s failed #%d/%d, retrying in %.1f s: %s", what, attempt, total, pause, error)
            self.sleep(pause)
        raise AssertionError("unreachable")  # pragma: no cover

    # -- cluster ----------------------------------------------------------------------
    def version(self, *, timeout_s: float | None = None, attempts: int | None = None) -> Obj:
        return dict(
            self._call(
                "read /version", self.version_api.get_code, timeout_s=timeout_s, attempts=attempts
            )
        )

    def list_nodes(self) -> list[Obj]:
        return list(self._call("list nodes", self.core.list_node)["items"])

    # -- namespaces -------------------------------------------------------------------
    def create_namespace(self, body: Obj) -> Obj:
        return dict(
            self._call(f"create namespace {body['metadata']['name']}", self.core.create_namespace, body)
        )

    def list_namespaces(self, *, label_selector: str) -> list[Obj]:
        return list(
            self._call(
                f"list namespaces {label_selector}",
                self.core.list_namespace,
                label_selector=label_selector,
            )["items"]
        )

    def delete_namespace(self, name: str, *, missing_ok: bool = True) -> None:
        try:
            self._call(
                f"delete namespace {name}",
                self.core.delete_namespace,
                name,
                propagation_policy="Background",
            )
        except APINotFound:
            if not missing_ok:
                raise

    # -- namespaced core objects ----------------------------------------------------------
    def create_configmap(
        self, namespace: str, body: Obj, *, timeout_s: float | None = None, attempts: int | None = None
    ) -> Obj:
        return dict(
            self._call(
                f"create configmap {namespace}/{body['metadata']['name']}",
                self.core.create_namespaced_config_map,
                namespace,
                body,
                timeout_s=timeout_s,
                attempts=attempts,
            )
        )

    def read_configmap(
        self, namespace: str, name: str, *, timeout_s: float | None = None, attempts: int | None = None
    ) -> Obj:
        return dict(
            self._call(
                f"read configmap {namespace}/{name}",
                self.core.read_namespaced_config_map,
                name,
                namespace,
                timeout_s=timeout_s,
                attempts=attempts,
            )
        )

    def delete_configmap(
        self, namespace: str, name: str, *, timeout_s: float | None = None, attempts: int | None = None
    ) -> None:
        self._call(
            f"delete configmap {namespace}/{name}",
            self.core.delete_namespaced_config_map,
            name,
            namespace,
            timeout_s=timeout_s,
            attempts=attempts,
        )

    def create_pod(self, namespace: str, body: Obj) -> Obj:
        return dict(
            self._call(
                f"create pod {namespace}/{body['metadata']['name']}",
                self.core.create_namespaced_pod,
                namespace,
                body,
            )
        )

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

    def delete_pod(self, namespace: str, name: str) -> None:
        with contextlib.suppress(APINotFound):
            self._call(
                f"delete pod {namespace}/{name}",
                self.core.delete_namespaced_pod,
                name,
                namespace,
                grace_period_seconds=0,
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

    # -- jobs, leases, custom objects --------------------------------------------------------
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

    def read_lease(self, namespace: str, name: str) -> Obj:
        return dict(
            self._call(
                f"read lease {namespace}/{name}",
                self.coordination.read_namespaced_lease,
                name,
                namespace,
            )
        )

    def list_cluster_objects(
        self, *, group: str, version: str, plural: str, label_selector: str
    ) -> list[Obj]:
        found = self._call(
            f"list {plural}.{group} {label_selector}",
            self.custom.list_cluster_custom_object,
            group,
            version,
            plural,
            label_selector=label_selector,
        )
        return list(found["items"])

    def delete_cluster_object(self, *, group: str, version: str, plural: str, name: str) -> None:
        with contextlib.suppress(APINotFound):
            self._call(
                f"delete {plural}.{group} {name}",
                self.custom.delete_cluster_custom_object,
                group,
                version,
                plural,
                name,
            )

    # -- network: services, policies, custom objects, exec (used by network.py/workloads.py) --
    def create_service(self, namespace: str, body: Obj) -> Obj:
        return dict(
            self._call(
                f"create service {namespace}/{body['metadata']['name']}",
                self.core.create_namespaced_service,
                namespace,
                body,
            )
        )

    def read_service(self, namespace: str, name: str) -> Obj:
        return dict(
            self._call(
                f"read service {namespace}/{name}", self.core.read_namespaced_service, name, namespace
            )
        )

    def create_network_policy(self, namespace: str, body: Obj) -> Obj:
        return dict(
            self._call(
                f"create networkpolicy {namespace}/{body['metadata']['name']}",
                k8s.NetworkingV1Api(self.api_client).create_namespaced_network_policy,
                namespace,
                body,
            )
        )

    def delete_network_policy(self, namespace: str, name: str) -> None:
        with contextlib.suppress(APINotFound):
            self._call(
                f"delete networkpolicy {namespace}/{name}",
                k8s.NetworkingV1Api(self.api_client).delete_namespaced_network_policy,
                name,
                namespace,
            )

    def create_custom_object(
        self, *, group: str, version: str, plural: str, body: Obj, namespace: str = ""
    ) -> Obj:
        where = f"{namespace}/" if namespace else ""
        what = f"create {plural}.{group} {where}{body['metadata']['name']}"
        if namespace:
            found = self._call(
                what, self.custom.create_namespaced_custom_object, group, version, namespace, plural, body
            )
        else:
            found = self._call(what, self.custom.create_cluster_custom_object, group, version, plural, body)
        return dict(found)

    def delete_namespaced_object(
        self, *, group: str, version: str, plural: str, namespace: str, name: str
    ) -> None:
        with contextlib.suppress(APINotFound):
            self._call(
                f"delete {plural}.{group} {namespace}/{name}",
                self.custom.delete_namespaced_custom_object,
                group,
                version,
                namespace,
                plural,
                name,
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
                return {"stdout": session.read_stdout(), "stderr": session.read_stderr(),
                        "exit_code": session.returncode}
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

    # -- storage: PVCs, Secrets, namespaced custom objects (used by storage.py) ----------------
    def create_pvc(self, namespace: str, body: Obj) -> Obj:
        return dict(
            self._call(
                f"create persistentvolumeclaim {namespace}/{body['metadata']['name']}",
                self.core.create_namespaced_persistent_volume_claim,
                namespace,
                body,
            )
        )

    def read_pvc(self, namespace: str, name: str) -> Obj:
        return dict(
            self._call(
                f"read persistentvolumeclaim {namespace}/{name}",
                self.core.read_namespaced_persistent_volume_claim,
                name,
                namespace,
            )
        )

    def delete_pvc(self, namespace: str, name: str) -> None:
        with contextlib.suppress(APINotFound):
            self._call(
                f"delete persistentvolumeclaim {namespace}/{name}",
                self.core.delete_namespaced_persistent_volume_claim,
                name,
                namespace,
            )

    def read_secret(self, namespace: str, name: str) -> Obj:
        """The Secret as the API returns it (values base64): callers must never log its data."""

        # Raw bytes: with preloaded content the client logs every response body at DEBUG,
        # which would put the Secret's values into any debug log.
        def read(*, _request_timeout: Any) -> Obj:
            answer = self.core.read_namespaced_secret(
                name, namespace, _preload_content=False, _request_timeout=_request_timeout
            )
            return dict(json.loads(bytes(answer.data)))

        return dict(self._call(f"read secret {namespace}/{name}", read))

    def read_namespaced_object(
        self, *, group: str, version: str, plural: str, namespace: str, name: str
    ) -> Obj:
        return dict(
            self._call(
                f"read {plural}.{group} {namespace}/{name}",
                self.custom.get_namespaced_custom_object,
                group,
                version,
                namespace,
                plural,
                name,
            )
        )

    def list_namespaced_objects(
        self, *, group: str, version: str, plural: str, namespace: str, label_selector: str = ""
    ) -> list[Obj]:
        found = self._call(
            f"list {plural}.{group} in {namespace}",
            self.custom.list_namespaced_custom_object,
            group,
            version,
            namespace,
            plural,
            label_selector=label_selector,
        )
        return list(found["items"])
