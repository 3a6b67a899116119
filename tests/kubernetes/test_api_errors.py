"""The adapter's boundary: status codes become our classes, retries are bounded and logged,
and no exception of the client library (or urllib3) ever escapes."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness.targets.kubernetes import errors
from harness.targets.kubernetes.api import KubeAPI, load_client
from tests.kubernetes.conftest import FAST
from tests.kubernetes.fakeapi import FakeKubernetes, write_kubeconfig

NS = {"metadata": {"name": "harness-t1"}}
CM = {"metadata": {"name": "cm1"}, "data": {"k": "v"}}


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        (401, errors.APIUnauthorized),
        (403, errors.APIForbidden),
        (404, errors.APINotFound),
        (409, errors.APIConflict),
        (422, errors.APIInvalid),
        (429, errors.APITooManyRequests),
        (500, errors.APIServerError),
        (503, errors.APIServerError),
    ],
)
def test_status_codes_map_to_our_classes_with_status(
    api: KubeAPI, fake: FakeKubernetes, code: int, cls: type[errors.APIError]
) -> None:
    fake.inject("POST", "/api/v1/namespaces", code, times=10)
    with pytest.raises(cls) as caught:
        api.create_namespace(NS)
    assert caught.value.code == code
    assert caught.value.status is not None and caught.value.status.code == code
    assert caught.value.status.message == f"injected {code}"
    assert str(caught.value) == f"create namespace harness-t1: HTTP {code} (injected {code})"


def test_a_refused_exec_keeps_its_status(api: KubeAPI, fake: FakeKubernetes) -> None:
    # RBAC without pods/exec: the WebSocket handshake answers 403 with a Status body.
    fake.inject("GET", "/exec", 403, times=1)
    with pytest.raises(errors.APIForbidden) as caught:
        api.exec_in_pod("ns", "p", ["true"], timeout_s=2.0)
    assert str(caught.value) == "exec in pod ns/p: HTTP 403 (injected 403)"
    assert len(fake.calls) == 1  # not retried
    fake.inject("GET", "/exec", 503, times=1)
    fake.exec_handler = lambda ns, pod, argv: ("hello\n", "", 0)
    assert api.exec_in_pod("ns", "p", ["echo", "hello"], timeout_s=2.0)["stdout"] == "hello\n"


def test_retryable_failures_retry_with_attempt_numbers(
    api: KubeAPI, fake: FakeKubernetes, caplog: pytest.LogCaptureFixture
) -> None:
    fake.inject("POST", "/api/v1/namespaces", 503, times=1)
    fake.inject("POST", "/api/v1/namespaces", 429, times=1)
    with caplog.at_level(logging.INFO, logger="harness.kubernetes.api"):
        created = api.create_namespace(NS)
    assert created["metadata"]["name"] == "harness-t1"
    assert [c.method for c in fake.calls] == ["POST", "POST", "POST"]
    assert "#1/3" in caplog.text and "#2/3" in caplog.text


def test_retries_are_bounded(api: KubeAPI, fake: FakeKubernetes) -> None:
    fake.inject("GET", "/api/v1/nodes", 500, times=99)
    with pytest.raises(errors.APIServerError):
        api.list_nodes()
    assert len(fake.calls) == FAST.attempts


def test_client_errors_are_not_retried(api: KubeAPI, fake: FakeKubernetes) -> None:
    fake.inject("POST", "/api/v1/namespaces", 403, times=99)
    with pytest.raises(errors.APIForbidden):
        api.create_namespace(NS)
    assert len(fake.calls) == 1


def test_dropped_connection_is_a_connection_error_and_retried(
    api: KubeAPI, fake: FakeKubernetes
) -> None:
    fake.inject("GET", "/api/v1/nodes", 0, times=1)
    assert api.list_nodes() == []
    fake.inject("GET", "/api/v1/nodes", 0, times=99)
    with pytest.raises(errors.APIConnectionError, match="no answer from"):
        api.list_nodes()


def test_wrong_token_is_unauthorized(tmp_path: Path, api_url: str) -> None:
    config = write_kubeconfig(tmp_path / "bad", api_url, token="wrong")
    api = KubeAPI(api_client=load_client(kubeconfig=config, context=None, settings=FAST), settings=FAST)
    with pytest.raises(errors.APIUnauthorized):
        api.version()


def test_non_status_body_is_cut_short() -> None:
    error = errors.error_for_status(502, "<html>" + "x" * 5000 + "</html>", what="read /version")
    assert isinstance(error, errors.APIServerError) and error.status is None
    assert len(str(error)) < 260


def test_missing_kubeconfig_is_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(errors.KubeconfigError, match=r"^no kubeconfig at .*missing: set"):
        load_client(kubeconfig=tmp_path / "missing", context=None, settings=FAST)


def test_unknown_context_is_one_sentence(kubeconfig: Path) -> None:
    with pytest.raises(errors.KubeconfigError, match="is not usable"):
        load_client(kubeconfig=kubeconfig, context="nope", settings=FAST)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


CALLS: list[tuple[str, Callable[[KubeAPI], Any]]] = [
    ("version", lambda a: a.version()),
    ("list_nodes", lambda a: a.list_nodes()),
    ("create_namespace", lambda a: a.create_namespace(NS)),
    ("list_namespaces", lambda a: a.list_namespaces(label_selector="a=b")),
    ("delete_namespace", lambda a: a.delete_namespace("x", missing_ok=False)),
    ("create_configmap", lambda a: a.create_configmap("ns", CM)),
    ("read_configmap", lambda a: a.read_configmap("ns", "cm1")),
    ("delete_configmap", lambda a: a.delete_configmap("ns", "cm1")),
    (
        "create_pod",
        lambda a: a.create_pod("ns", {"metadata": {"name": "p"}, "spec": {"containers": []}}),
    ),
    ("read_pod", lambda a: a.read_pod("ns", "p")),
    ("list_pods", lambda a: a.list_pods("ns", label_selector="a=b")),
    ("pod_logs", lambda a: a.pod_logs("ns", "p")),
    ("exec_in_pod", lambda a: a.exec_in_pod("ns", "p", ["true"], timeout_s=2.0)),
    ("create_job", lambda a: a.create_job("ns", {"metadata": {"name": "j"}, "spec": {}})),
    ("read_job", lambda a: a.read_job("ns", "j")),
    ("read_lease", lambda a: a.read_lease("kube-system", "l")),
    (
        "list_cluster_objects",
        lambda a: a.list_cluster_objects(
            group="cilium.io",
            version="v2alpha1",
            plural="ciliumloadbalancerippools",
            label_selector="a=b",
        ),
    ),
]


@pytest.mark.parametrize("failure", [400, 401, 403, 404, 409, 422, 429, 500, 0, "refused"])
@pytest.mark.parametrize(("name", "call"), CALLS, ids=[n for n, _ in CALLS])
def test_client_exceptions_never_leak(
    tmp_path: Path,
    fake: FakeKubernetes,
    api_url: str,
    name: str,
    call: Callable[[KubeAPI], Any],
    failure: int | str,
) -> None:
    server = f"http://127.0.0.1:{_free_port()}" if failure == "refused" else api_url
    if isinstance(failure, int):
        fake.inject("*", "/", failure, times=99)
    config = write_kubeconfig(tmp_path / "kc", server)
    api = KubeAPI(
        api_client=load_client(kubeconfig=config, context=None, settings=FAST),
        settings=FAST,
        sleep=lambda s: None,
    )
    caught: BaseException | None = None
    try:
        call(api)
    except BaseException as error:  # anything but ours is a leak
        caught = error
    assert caught is not None, f"{name} returned although every request fails with {failure}"
    assert isinstance(caught, errors.APIError), (
        f"{name} leaked {type(caught).__module__}.{type(caught).__name__}: {caught}"
    )


NO_SERVICE_ACCOUNT = ('pods "p1" is forbidden: error looking up service account ns/default: '
                      'serviceaccount "default" not found')
"""kube-apiserver's ServiceAccount admission refusal, verbatim from a lab run (CI, 2026-12-02)."""


def test_a_pod_in_a_namespace_too_new_for_its_service_account_waits(api: KubeAPI,
                                                                    fake: FakeKubernetes) -> None:
    pod = {"metadata": {"name": "p1"}, "spec": {"containers": [{"name": "c", "image": "i"}]}}
    api.create_namespace({"metadata": {"name": "ns"}})
    fake.inject("POST", "/api/v1/namespaces/ns/pods", 403, times=3, message=NO_SERVICE_ACCOUNT)
    assert api.create_pod("ns", pod)["metadata"]["name"] == "p1"
    assert [c.path for c in fake.calls].count("/api/v1/namespaces/ns/pods") == 4


def test_a_pod_forbidden_by_rbac_is_not_retried(api: KubeAPI, fake: FakeKubernetes) -> None:
    pod = {"metadata": {"name": "p1"}, "spec": {"containers": [{"name": "c", "image": "i"}]}}
    fake.inject("POST", "/api/v1/namespaces/ns/pods", 403, times=99,
                message='pods is forbidden: User "u" cannot create resource "pods"')
    with pytest.raises(errors.APIForbidden, match="cannot create resource"):
        api.create_pod("ns", pod)
    assert len(fake.calls) == 1
