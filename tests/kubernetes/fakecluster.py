"""A whole fake cluster for the kubernetes target: API, talosctl, BMC, profile, kubeconfig.

The fake API listens on loopback only: 127.0.0.10 is the VIP, 127.0.0.11-14 are the nodes'
own addresses (so `roundtrip_direct` reaches "the member"), all on one port and one state.
A powered-off node's listener drops connections. Nothing leaves this machine.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

from tests.kubernetes.fake_talosctl import locked_state, read_state, reelect, write_state
from tests.kubernetes.fakeapi import FakeKubernetes, _handler, write_kubeconfig

VIP = "127.0.0.10"
NODES = {"kcp1": "127.0.0.11", "kcp2": "127.0.0.12", "kcp3": "127.0.0.13", "kwk1": "127.0.0.14"}
CONTROLPLANE = ["kcp1", "kcp2", "kcp3"]
BMC_PASSWORD = "fake-bmc-secret"
HERE = Path(__file__).parent


@dataclass
class FakeCluster:
    root: Path
    api: FakeKubernetes
    profile_path: Path
    kubeconfig: Path
    state_path: Path
    env: dict[str, str]

    def state(self) -> dict[str, Any]:
        return read_state(self.state_path)

    def talos_calls(self) -> list[str]:
        return list(self.state()["calls"])

    def update(self, **changes: Any) -> None:
        with locked_state(self.state_path) as state:
            state.update(changes)


def _listener(api: FakeKubernetes, address: str, port: int, is_down: Any) -> ThreadingHTTPServer:
    base = _handler(api)

    class Handler(base):  # type: ignore[valid-type,misc]
        def _serve(self, method: str) -> None:
            if is_down(address):
                self.close_connection = True
                self.connection.shutdown(2)
                return
            super()._serve(method)

    server = ThreadingHTTPServer((address, port), Handler)
    server.daemon_threads = True
    return server


def _bmc_handler(state_path: Path) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            with locked_state(state_path) as state:  # one read-modify-write with talosctl's
                code, body = _bmc_answer(state, url.query, self.headers.get("Authorization"))
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


def _bmc_answer(
    state: dict[str, Any], raw_query: str, authorization: str | None
) -> tuple[int, dict[str, Any]]:
    """The fake BMC's answer; changes `state`, which the caller holds under the state lock."""
    query = {k: v[0] for k, v in parse_qs(raw_query).items()}
    expected = "Basic " + base64.b64encode(f"root:{BMC_PASSWORD}".encode()).decode()
    state["bmc_calls"].append(raw_query)
    if authorization != expected:
        return 401, {"response": [{"result": "unauthorized"}]}
    if query.get("opt") == "set" and query.get("type") == "power":
        for key, value in query.items():
            if key.startswith("node"):
                ip = state["slots"][key.removeprefix("node")]
                if value == "0" and ip not in state["down"]:
                    state["down"].append(ip)
                if value == "1" and ip in state["down"]:
                    state["down"].remove(ip)
        reelect(state)
        return 200, {"response": [{"result": "ok"}]}
    powered = {f"node{slot}": int(ip not in state["down"]) for slot, ip in state["slots"].items()}
    return 200, {"response": [{"result": [powered]}]}


def _serve(stack: ExitStack, server: ThreadingHTTPServer) -> None:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(5)

    stack.callback(stop)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind((VIP, 0))
        return int(sock.getsockname()[1])


@contextmanager
def fake_cluster(root: Path, *, bmc: bool = True) -> Iterator[FakeCluster]:
    api = FakeKubernetes()
    for name in NODES:
        role = "control-plane" if name in CONTROLPLANE else "worker"
        api.put(
            "v1",
            "nodes",
            {
                "metadata": {"name": name, "labels": {f"node-role.kubernetes.io/{role}": ""}},
                "status": {"conditions": [{"type": "Ready", "status": "True"}]},
            },
        )
    state_path = root / "talos-state.json"
    write_state(
        state_path,
        {
            "nodes": {ip: name for name, ip in NODES.items()},
            "controlplane": [NODES[n] for n in CONTROLPLANE],
            "leader": NODES["kcp1"],
            "vip": VIP,
            "vip_holder": NODES["kcp1"],
            "stopped": {},
            "down": [],
            "calls": [],
            "bmc_calls": [],
            "slots": {str(i): ip for i, ip in enumerate(NODES.values(), start=1)},
        },
    )
    bin_dir = root / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "talosctl"
    wrapper.write_text(
        f"#!/bin/sh\nPYTHONPATH={HERE.parent.parent} exec {sys.executable} "
        f'{HERE / "fake_talosctl.py"} "$@"\n'
    )
    wrapper.chmod(0o755)
    (root / "talosconfig").write_text("context: fake\ncontexts: {}\n")

    def is_down(address: str) -> bool:

        return address in read_state(state_path)["down"]

    with ExitStack() as stack:
        port = _free_port()
        for address in [VIP, *NODES.values()]:
            _serve(stack, _listener(api, address, port, is_down))
        bmc_server = ThreadingHTTPServer(("127.0.0.1", 0), _bmc_handler(state_path))
        _serve(stack, bmc_server)
        kubeconfig = write_kubeconfig(root / "kubeconfig", f"http://{VIP}:{port}")
        profile: dict[str, Any] = {
            "name": "fakecluster",
            "target": "kubernetes",
            "nodes": [
                {"name": n, "address": ip, "roles": ["controlplane" if n in CONTROLPLANE else "worker"]}
                for n, ip in NODES.items()
            ],
            "controlplane": {"endpoint": VIP, "port": port},
            "loadbalancer_pool": {"range": {"first": "127.0.0.100", "last": "127.0.0.127"}},
            "storage": {"enabled": False},
            "kubernetes": {"kubeconfig": str(kubeconfig), "talosconfig": str(root / "talosconfig")},
        }
        if bmc:
            profile["kubernetes"]["bmc"] = {
                "url": f"http://127.0.0.1:{bmc_server.server_address[1]}",
                "password_env": "FAKE_BMC_PASSWORD",
                "slots": {n: i for i, n in enumerate(NODES, start=1)},
            }
        profile_path = root / "fakecluster.yaml"
        profile_path.write_text(yaml.safe_dump(profile, sort_keys=False))
        env = {
            "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            "FAKE_TALOS_STATE": str(state_path),
            "FAKE_BMC_PASSWORD": BMC_PASSWORD,
        }
        yield FakeCluster(
            root=root,
            api=api,
            profile_path=profile_path,
            kubeconfig=kubeconfig,
            state_path=state_path,
            env=env,
        )
