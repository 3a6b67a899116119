"""A kubelet for the partition and link-shaping pods on the fake API: it runs each pod's own
script, with `ip` answering the node's address and `tc`/`nft` recording their calls instead of
touching a link. The pod's log is the script's stdout; deleting the pod sends SIGTERM and waits,
as a kubelet does within the grace period, so the script's trap has run when the delete returns."""

from __future__ import annotations

import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from tests.kubernetes.fakeapi import FakeKubernetes, Obj

LINK_ROLES = frozenset({"partition", "shape"})


@dataclass
class FakeLinkPods:
    api: FakeKubernetes
    root: Path
    addresses: dict[str, str]
    failing: str = ""
    """`tc` or `nft`: that tool fails on the node, as it would without the kernel feature."""
    running: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def install(self) -> FakeLinkPods:
        self.api.hooks.append(self._hook)
        before = self.api.log_for
        self.api.log_for = lambda pod: self._log(pod) if self._ours(pod) else before(pod)
        return self

    def close(self) -> None:
        for name in list(self.running):
            self._stop(name)

    def calls(self, node: str) -> list[str]:
        path = self.root / node / "calls"
        return path.read_text().splitlines() if path.exists() else []

    @staticmethod
    def _ours(pod: Obj) -> bool:
        return (pod["metadata"].get("labels") or {}).get("harness/role") in LINK_ROLES

    def _hook(self, event: str, resource: str, namespace: str, obj: Obj) -> None:
        if resource != "pods" or not self._ours(obj):
            return
        if event == "create":
            self._start(obj)
        elif event == "delete":
            self._stop(obj["metadata"]["name"])

    def _start(self, pod: Obj) -> None:
        node = pod["spec"]["nodeName"]
        tools = self.root / node / "bin"
        tools.mkdir(parents=True, exist_ok=True)
        (tools / "ip").write_text(
            f"#!/bin/sh\nprintf '2: eth0    inet {self.addresses[node]}/24 scope global eth0\\n'\n")
        for tool in ("tc", "nft"):
            fail = "exit 1\n" if tool == self.failing else ""
            stdin = '$([ "$*" = "${*%-f -}" ] || cat)'  # a ruleset given on stdin, same line
            (tools / tool).write_text(
                f'#!/bin/sh\necho "{tool} $* {stdin}" | sed "s/ *$//" >> {self.root / node / "calls"}\n'
                f"{fail}")
        for tool in tools.iterdir():
            tool.chmod(0o755)
        name = pod["metadata"]["name"]
        log = (self.root / node / f"{name}.log").open("wb")
        self.running[name] = subprocess.Popen(
            pod["spec"]["containers"][0]["command"], stdout=log, stderr=subprocess.STDOUT,
            env={"PATH": f"{tools}:/usr/bin:/bin"})

    def _stop(self, name: str) -> None:
        process = self.running.pop(name, None)
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=10)

    def _log(self, pod: Obj) -> str:
        path = self.root / pod["spec"]["nodeName"] / f"{pod['metadata']['name']}.log"
        return path.read_text() if path.exists() else ""
