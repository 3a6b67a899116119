"""The one request path under the kubernetes target's adapter: client loading, `_call`.

`_call` owns timeouts (explicit on every request), bounded retries of retryable failures with
the attempt number in the log (`#2/5`), and the translation of client exceptions into ours
(`errors.py`). Objects go in and come out as plain dicts, so nothing above the adapter depends
on the client's model classes. The calls themselves, grouped by kind, are in `api.py`,
`api_workloads.py` and `api_objects.py`.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import urllib3
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

from harness.targets.kubernetes.errors import (
    APIConnectionError,
    APIError,
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
    if kubeconfig.is_dir():
        raise KubeconfigError(f"kubeconfig {kubeconfig} is a directory: name the kubeconfig file in it "
                              "(kubernetes.kubeconfig in the profile, --kubeconfig or $KUBECONFIG)")
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
    configuration.connection_pool_maxsize = 16  # probers keep up to timeout x rate + 1 calls in flight
    return k8s.ApiClient(configuration)


CLIENT_FAILURES = (ApiException, ValueError, urllib3.exceptions.HTTPError, OSError)
"""What the client raises for a call that failed (`RequestPath.failure` names each)."""


class RequestPath:
    """The client, its API groups and `_call`; the calls by kind build on it."""

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
        self.authorization = k8s.AuthorizationV1Api(api_client)
        self.authentication = k8s.AuthenticationV1Api(api_client)
        self.version_api = k8s.VersionApi(api_client)

    @property
    def host(self) -> str:
        return str(self.api_client.configuration.host)

    # -- the one request path ------------------------------------------------------------
    def _call(self, what: str, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """`call`, its answer as plain dicts and lists (what the adapter's methods return)."""
        return self.api_client.sanitize_for_serialization(self.call(what, method, *args, **kwargs))

    def failure(self, what: str, exc: Exception) -> APIError:
        """The adapter's error for what the client raised: the server's status, an answer the
        client could not read, or no answer at all."""
        if isinstance(exc, ApiException):
            return error_for_status(int(exc.status or 0), exc.body, what=what)
        if isinstance(exc, ValueError):  # the client's models reject an answer they cannot read
            return APIError(f"{what}: unreadable answer from {self.host} ({exc})", what=what)
        reason = connection_failure(exc)
        return APIConnectionError(f"{what}: no answer from {self.host} ({reason})", what=what)

    def call(
        self,
        what: str,
        method: Callable[..., Any],
        *args: Any,
        attempts: int | None = None,
        timeout_s: float | None = None,
        **kwargs: Any,
    ) -> Any:
        """One call of the client's `method` with the adapter's timeouts, retries and errors; the
        client's own answer (its model objects). For callers that time the call (the API load):
        turning the answer into dicts is the harness's work, not the server's, and under 8
        clients sharing one interpreter it added 4-9 % to each verb's p50."""
        total = attempts or self.settings.attempts
        read_s = timeout_s if timeout_s is not None else self.settings.read_timeout_s
        timeout = (min(self.settings.connect_timeout_s, read_s), read_s)
        for attempt in range(1, total + 1):
            try:
                return method(*args, _request_timeout=timeout, **kwargs)
            except CLIENT_FAILURES as exc:
                error, cause = self.failure(what, exc), exc
            if not error.retryable or attempt == total:
                if total > 1 and error.retryable:
                    log.warning("%s failed #%d/%d, giving up: %s", what, attempt, total, error)
                raise error from cause
            pause = self.settings.backoff_before(attempt + 1)
            log.info("%s failed #%d/%d, retrying in %.1f s: %s", what, attempt, total, pause, error)
            self.sleep(pause)
        raise AssertionError("unreachable")  # pragma: no cover
