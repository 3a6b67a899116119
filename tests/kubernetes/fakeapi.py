"""A small stateful fake of the Kubernetes API over real HTTP on 127.0.0.1, for the target's tests.

Why our own and not `kmock`: kmock answers namespaces with HTTP 500, creates with 200 instead of
201 and supports neither label selectors nor PUT; the target needs all of these. This fake keeps
objects per (group/version, namespace, resource), answers with real `Status` bodies, records every
call, and injects failures (any status code, or a dropped connection) on demand.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

Obj = dict[str, Any]
TOKEN = "fake-token"
PATH = re.compile(
    r"^/(?:api/(?P<core>v1)|apis/(?P<group>[^/]+)/(?P<version>[^/]+))"
    r"(?:/namespaces/(?P<ns>[^/]+)(?=/))?/(?P<resource>[^/]+)"
    r"(?:/(?P<name>[^/]+))?(?:/(?P<sub>[^/]+))?$"
)


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    query: str = ""

    def __str__(self) -> str:
        return f"{self.method} {self.path}" + (f"?{self.query}" if self.query else "")


@dataclass
class Injection:
    method: str
    path_contains: str
    status: int  # 0: drop the connection without answering
    times: int = 1
    message: str = ""  # the Status message; "injected <code>" when empty


def status_body(code: int, reason: str, message: str) -> Obj:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


def matches(labels: dict[str, str], selector: str) -> bool:
    for term in filter(None, selector.split(",")):
        key, _, value = term.partition("=")
        if (value and labels.get(key) != value) or key not in labels:
            return False
    return True


def running_pod(pod: Obj) -> Obj:
    """Running and Ready: what a server pod (backend, iperf3 or sockperf server) reaches on a healthy node."""
    return {
        "phase": "Running",
        "conditions": [{"type": "Ready", "status": "True"}],
        "containerStatuses": [
            {
                "name": c["name"],
                "ready": True,
                "restartCount": 0,
                "image": c["image"],
                "imageID": "",
                "state": {"running": {"startedAt": "2025-01-01T00:00:01Z"}},
            }
            for c in pod["spec"]["containers"]
        ],
    }


RUNNING_ROLES = frozenset({"netpod", "lb-backend", "iperf3-server", "sockperf-server", "node-debug",
                           "startup"})
"""Pods with these `harness/role` labels run until deleted; every other pod runs to completion."""
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
Hook = Callable[[str, str, str, Obj], None]
"""(event "create"/"delete", resource, namespace, object), called after the store changed."""
ExecHandler = Callable[[str, str, list[str]], tuple[str, str, int]]
"""(namespace, pod, argv) -> (stdout, stderr, exit code): how the fake decides what exec printed."""


def no_exec(namespace: str, pod: str, argv: list[str]) -> tuple[str, str, int]:
    return "", f"the fake has no exec handler for {argv[:1]}", 126


def succeeded_pod(pod: Obj) -> Obj:
    return {
        "phase": "Succeeded",
        "containerStatuses": [
            {
                "name": c["name"],
                "ready": False,
                "restartCount": 0,
                "image": c["image"],
                "imageID": "",
                "state": {"terminated": {"exitCode": 0, "reason": "Completed"}},
            }
            for c in pod["spec"]["containers"]
        ],
    }


@dataclass
class FakeKubernetes:
    """State and behaviour; `serve()` puts it on a localhost port."""

    objects: dict[tuple[str, str, str], dict[str, Obj]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    injections: list[Injection] = field(default_factory=list)
    logs: dict[str, str] = field(default_factory=dict)
    pod_status: Callable[[Obj], Obj] = succeeded_pod
    """Status given to a pod when it is created (tests replace it: image pull errors, ...)."""
    log_for: Callable[[Obj], str | None] = lambda pod: None
    """Logs of a pod computed from the pod itself (a recorded iperf3 report for a client, ...)."""
    exec_handler: ExecHandler = no_exec
    hooks: list[Hook] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _pod_ips: Iterator[int] = field(default_factory=lambda: itertools.count(10))
    _versions: Iterator[int] = field(default_factory=lambda: itertools.count(100))

    # -- state helpers for tests ----------------------------------------------------------
    def put(self, gv: str, resource: str, obj: Obj, namespace: str = "") -> None:
        with self.lock:
            self._store(gv, namespace, resource)[obj["metadata"]["name"]] = obj

    def get(self, gv: str, resource: str, name: str, namespace: str = "") -> Obj | None:
        return self.objects.get((gv, namespace, resource), {}).get(name)

    def names(self, gv: str, resource: str, namespace: str = "") -> list[str]:
        return sorted(self.objects.get((gv, namespace, resource), {}))

    def inject(self, method: str, path_contains: str, status: int, times: int = 1,
               message: str = "") -> None:
        self.injections.append(Injection(method, path_contains, status, times, message))

    def writes(self) -> list[str]:
        """Every non-GET call, in order: what the tests assert as 'the API calls issued'.
        Access reviews (`can-i` questions, which change nothing) are not writes."""
        return [f"{c.method} {c.path}" for c in self.calls
                if c.method != "GET" and not c.path.endswith(("accessreviews", "subjectreviews"))]

    def _store(self, gv: str, namespace: str, resource: str) -> dict[str, Obj]:
        return self.objects.setdefault((gv, namespace, resource), {})

    # -- request handling -------------------------------------------------------------------
    def injected(self, method: str, path: str) -> Injection | None:
        with self.lock:
            for injection in self.injections:
                if (
                    injection.times > 0
                    and injection.method in (method, "*")
                    and injection.path_contains in path
                ):
                    injection.times -= 1
                    return injection
        return None

    def handle(
        self, method: str, path: str, query: dict[str, list[str]], body: Obj | None
    ) -> tuple[int, Obj | str]:
        if path.rstrip("/") == "/version":
            return 200, {
                "major": "1",
                "minor": "32",
                "gitVersion": "v1.32.3",
                "gitCommit": "32cc146f",
                "gitTreeState": "clean",
                "buildDate": "2025-03-11T19:52:21Z",
                "goVersion": "go1.23.6",
                "compiler": "gc",
                "platform": "linux/arm64",
            }
        match = PATH.match(path)
        if match is None:
            return 404, status_body(404, "NotFound", f"the server could not find {path}")
        gv = match["core"] or f"{match['group']}/{match['version']}"
        resource, name, sub = match["resource"], match["name"], match["sub"]
        namespace = match["ns"] or ""
        if (
            namespace
            and method == "POST"
            and namespace not in self.objects.get(("v1", "", "namespaces"), {})
        ):
            return 404, status_body(404, "NotFound", f'namespaces "{namespace}" not found')
        fired: tuple[str, str, str, Obj] | None = None
        code, created = 0, {}
        with self.lock:
            store = self._store(gv, namespace, resource)
            if method == "GET" and name is None:
                selector = query.get("labelSelector", [""])[0]
                named = query.get("fieldSelector", [""])[0].removeprefix("metadata.name=")
                items = [
                    o for o in store.values() if matches(o["metadata"].get("labels") or {}, selector)
                    and (not named or o["metadata"]["name"] == named)
                ]
                if query.get("watch", [""])[0] in ("true", "True", "1"):
                    # Objects here never change after create: a watch sends each as it is
                    # (ADDED), one JSON line apiece, and ends as a timed-out watch does.
                    return 200, "".join(json.dumps({"type": "ADDED", "object": o}) + "\n" for o in items)
                return 200, {"kind": "List", "apiVersion": gv, "metadata": {}, "items": items}
            if method == "POST" and name is None:
                assert body is not None
                code, created = self._create(gv, namespace, resource, store, body)
                if code != 201:
                    return code, created
                fired = ("create", resource, namespace, created)
        if fired is not None:
            for hook in list(self.hooks):
                hook(*fired)
            return code, created
        with self.lock:
            assert name is not None
            found = store.get(name)
            if found is None:
                return 404, status_body(404, "NotFound", f'{resource} "{name}" not found')
            if method == "GET" and sub == "log":
                return 200, self.logs.get(name, self.log_for(found) or "")
            if method == "GET":
                return 200, found
            if method == "DELETE":
                del store[name]
                if resource == "namespaces":
                    for key in [k for k in self.objects if k[1] == name]:
                        del self.objects[key]
                fired = ("delete", resource, namespace, found)
        if fired is not None:
            for hook in list(self.hooks):
                hook(*fired)
            return 200, {
                "kind": "Status",
                "apiVersion": "v1",
                "status": "Success",
                "details": {"name": name, "kind": resource},
            }
        return 405, status_body(405, "MethodNotAllowed", f"{method} is not supported here")

    def _create(
        self, gv: str, namespace: str, resource: str, store: dict[str, Obj], body: Obj
    ) -> tuple[int, Obj]:
        if resource in ("selfsubjectaccessreviews", "selfsubjectreviews"):
            # The fake has no RBAC: every user may do everything (the Kubernetes lab tests the
            # real authorizer, tests/kubelab/test_kube_api.py).
            answer = json.loads(json.dumps(body))
            answer["status"] = ({"allowed": True} if resource == "selfsubjectaccessreviews"
                                else {"userInfo": {"username": "fake-admin"}})
            return 200, answer  # not 201: reviews are not stored, no create hooks fire
        name = body.get("metadata", {}).get("name", "")
        if not name:
            return 422, status_body(
                422, "Invalid", f"{resource} is invalid: metadata.name: Required value"
            )
        if name in store:
            return 409, status_body(409, "AlreadyExists", f'{resource} "{name}" already exists')
        obj = json.loads(json.dumps(body))
        meta = obj.setdefault("metadata", {})
        meta.update(
            uid=f"uid-{name}",
            resourceVersion=str(next(self._versions)),
            creationTimestamp="2025-01-01T00:00:00Z",
        )
        if namespace:
            meta["namespace"] = namespace
        if resource == "namespaces":
            obj["status"] = {"phase": "Active"}
        if resource == "pods":
            obj["status"] = self._new_pod_status(obj)
        if resource == "services" and obj.setdefault("spec", {}).get("type", "ClusterIP") == "ClusterIP":
            # As the apiserver's allocator does: a ClusterIP from the service range.
            obj["spec"]["clusterIP"] = f"10.96.0.{next(self._versions) % 250 + 2}"
        if resource == "jobs":
            self._pod_for_job(namespace, obj)
            obj["status"] = {"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]}
        store[name] = obj
        return 201, obj

    def _new_pod_status(self, pod: Obj) -> Obj:
        role = (pod["metadata"].get("labels") or {}).get("harness/role")
        status = running_pod(pod) if role in RUNNING_ROLES else self.pod_status(pod)
        n = next(self._pod_ips)
        return {**status, "podIP": f"10.244.{n // 250}.{n % 250 + 2}"}

    def _pod_for_job(self, namespace: str, job: Obj) -> None:
        template = job["spec"]["template"]
        pod = {
            "metadata": {
                "name": f"{job['metadata']['name']}-x1",
                "namespace": namespace,
                "labels": {
                    **(template["metadata"].get("labels") or {}),
                    "job-name": job["metadata"]["name"],
                },
            },
            "spec": template["spec"],
        }
        pod["status"] = self._new_pod_status(pod)
        self._store("v1", namespace, "pods")[pod["metadata"]["name"]] = pod


def _ws_frame(opcode_byte: int, payload: bytes) -> bytes:
    """One unmasked server frame (RFC 6455)."""
    size = len(payload)
    if size < 126:
        header = bytes([opcode_byte, size])
    elif size < 65536:
        header = bytes([opcode_byte, 126]) + size.to_bytes(2, "big")
    else:
        header = bytes([opcode_byte, 127]) + size.to_bytes(8, "big")
    return header + payload


def _handler(fake: FakeKubernetes) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _exec(self, url: Any) -> None:
            """The exec subresource over a WebSocket (channel protocol v4): one answer, then close."""
            match = PATH.match(url.path)
            assert match is not None
            argv = parse_qs(url.query).get("command", [])
            stdout, stderr, code = fake.exec_handler(match["ns"] or "", match["name"] or "", argv)
            accept = base64.b64encode(
                hashlib.sha1((self.headers["Sec-WebSocket-Key"] + WS_GUID).encode()).digest()
            ).decode()
            self.send_response(101)
            self.send_header("Upgrade", "websocket")
            self.send_header("Connection", "Upgrade")
            self.send_header("Sec-WebSocket-Accept", accept)
            self.send_header("Sec-WebSocket-Protocol", "v4.channel.k8s.io")
            self.end_headers()
            if code == 0:
                status: Obj = {"metadata": {}, "status": "Success"}
            else:
                status = {
                    "metadata": {},
                    "status": "Failure",
                    "reason": "NonZeroExitCode",
                    "message": f"command terminated with non-zero exit code: {code}",
                    "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]},
                }
            for channel, text in ((1, stdout), (2, stderr), (3, json.dumps(status))):
                if text:
                    self.wfile.write(_ws_frame(0x82, bytes([channel]) + text.encode()))
            self.wfile.write(_ws_frame(0x88, b"\x03\xe8"))
            self.wfile.flush()
            self.close_connection = True

        def _serve(self, method: str) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            fake.calls.append(Call(method, url.path, url.query))
            injection = fake.injected(method, url.path)
            injected = injection.status if injection is not None else None
            if injected == 0:  # dropped: close the socket without a byte of answer
                self.close_connection = True
                self.connection.shutdown(2)
                return
            if (
                url.path.endswith("/exec")
                and self.headers.get("Upgrade", "").lower() == "websocket"
                and self.headers.get("Authorization") == f"Bearer {TOKEN}"
                and injected is None
            ):
                self._exec(url)
                return
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                code, answer = 401, status_body(401, "Unauthorized", "Unauthorized")
            elif injected is not None:
                reason = {
                    403: "Forbidden",
                    404: "NotFound",
                    409: "Conflict",
                    422: "Invalid",
                    429: "TooManyRequests",
                }.get(injected, "InternalError")
                message = (injection.message if injection else "") or f"injected {injected}"
                code, answer = injected, status_body(injected, reason, message)
            else:
                body = json.loads(raw) if raw else None
                code, answer = fake.handle(method, url.path, parse_qs(url.query), body)
            text = answer if isinstance(answer, str) else json.dumps(answer)
            data = text.encode()
            self.send_response(code)
            self.send_header(
                "Content-Type", "text/plain" if isinstance(answer, str) else "application/json"
            )
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def do_DELETE(self) -> None:
            self._serve("DELETE")

        def do_PUT(self) -> None:
            self._serve("PUT")

        def do_PATCH(self) -> None:
            self._serve("PATCH")

    return Handler


@contextmanager
def serve(fake: FakeKubernetes) -> Iterator[str]:
    """Serve the fake on 127.0.0.1 (a free port); yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-kube-api", daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def write_kubeconfig(path: Path, server: str, *, token: str = TOKEN) -> Path:
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "fake",
                "clusters": [{"name": "fake", "cluster": {"server": server}}],
                "users": [{"name": "fake", "user": {"token": token}}],
                "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "fake"}}],
            }
        )
    )
    return path
