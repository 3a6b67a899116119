"""A kubelet for the kill pods and a machined for etcd, on the fake cluster.

Each node's processes live in a /proc of its own (a directory per PID with `comm` and `cmdline`,
as the kernel shows them), and every PID in it is a real `sleep` this fake started, so the kill
pod's real script runs with `HARNESS_PROC_ROOT` pointing there and its `kill -9` can only ever
reach a process of this test: the stand-in etcd (`/usr/local/bin/etcd --name=...`, as Talos runs
it) or a decoy (`etcdctl`, a kube-apiserver with `--etcd-servers=` in its arguments).

The fake machined watches each stand-in: when it dies, etcd is marked stopped in the fake
talosctl's state (talosctl then says Finished and the leader moves), and after `restart_after_s`
a new stand-in starts and talosctl says Running, health OK, as machined's restart runner does.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from harness.targets.kubernetes.killpods import PROC_ROOT_ENV
from tests.kubernetes.fake_talosctl import locked_state, reelect
from tests.kubernetes.fakeapi import FakeKubernetes, Obj

ETCD_ARGV = ["/usr/local/bin/etcd", "--name={node}", "--data-dir=/var/lib/etcd"]
DECOYS = {"etcdctl": ["etcdctl", "member", "list"],
          "kube-apiserver": ["/usr/local/bin/kube-apiserver", "--etcd-servers=https://127.0.0.1:2379"]}


@dataclass
class FakeMachined:
    api: FakeKubernetes
    root: Path
    state_path: Path
    addresses: dict[str, str]
    restart_after_s: float = 0.5
    etcd: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    extra: list[subprocess.Popen[bytes]] = field(default_factory=list)
    decoys: dict[str, list[subprocess.Popen[bytes]]] = field(default_factory=dict)
    pods: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    died: list[subprocess.Popen[bytes]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def install(self, nodes: list[str]) -> FakeMachined:
        for node in nodes:
            self.decoys[node] = [self._spawn(node, comm, argv) for comm, argv in DECOYS.items()]
            self.start_etcd(node)
        threading.Thread(target=self._watch, daemon=True).start()
        self.api.hooks.append(self._hook)
        before = self.api.log_for
        self.api.log_for = lambda pod: self._log(pod) if self._ours(pod) else before(pod)
        return self

    def close(self) -> None:
        self._stop.set()
        for process in [*self.etcd.values(), *self.extra, *self.pods.values(),
                        *(p for ps in self.decoys.values() for p in ps)]:
            if process.poll() is None:
                process.kill()
            process.wait(5)

    def proc(self, node: str) -> Path:
        return self.root / node / "proc"

    def _spawn(self, node: str, comm: str, argv: list[str]) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(["sleep", "300"])
        entry = self.proc(node) / str(process.pid)
        entry.mkdir(parents=True)
        (entry / "comm").write_text(comm + "\n")
        (entry / "cmdline").write_bytes(b"\0".join(a.encode() for a in argv) + b"\0")
        return process

    def start_etcd(self, node: str) -> subprocess.Popen[bytes]:
        self.etcd[node] = self._spawn(node, "etcd", [a.format(node=node) for a in ETCD_ARGV])
        return self.etcd[node]

    def second_etcd(self, node: str) -> subprocess.Popen[bytes]:
        """A second process named etcd on the node (which Talos never runs)."""
        process = self._spawn(node, "etcd", [a.format(node=node) for a in ETCD_ARGV])
        self.extra.append(process)
        return process

    def _watch(self) -> None:
        while not self._stop.is_set():
            for node, process in list(self.etcd.items()):
                if process.poll() is not None:  # died: gone from /proc, restarted later
                    del self.etcd[node]
                    self.died.append(process)
                    shutil.rmtree(self.proc(node) / str(process.pid), ignore_errors=True)
                    self._mark(node, stopped=True)
                    timer = threading.Timer(self.restart_after_s, self._restart, args=(node,))
                    timer.daemon = True
                    timer.start()
            time.sleep(0.02)

    def _restart(self, node: str) -> None:
        if not self._stop.is_set():
            self.start_etcd(node)
            self._mark(node, stopped=False)

    def _mark(self, node: str, *, stopped: bool) -> None:
        with locked_state(self.state_path) as state:
            services = state["stopped"].setdefault(self.addresses[node], [])
            if stopped and "etcd" not in services:
                services.append("etcd")
            if not stopped and "etcd" in services:
                services.remove("etcd")
            reelect(state)

    # -- the kubelet of the kill pods ------------------------------------------------------
    @staticmethod
    def _ours(pod: Obj) -> bool:
        return (pod["metadata"].get("labels") or {}).get("harness/role") == "kill"

    def _hook(self, event: str, resource: str, namespace: str, obj: Obj) -> None:
        if resource != "pods" or not self._ours(obj) or event != "create":
            return
        node, name = obj["spec"]["nodeName"], obj["metadata"]["name"]
        log = (self.root / node / f"{name}.log").open("wb")
        self.pods[name] = subprocess.Popen(
            obj["spec"]["containers"][0]["command"], stdout=log, stderr=subprocess.STDOUT,
            env={"PATH": "/usr/bin:/bin", PROC_ROOT_ENV: str(self.proc(node))})

    def _log(self, pod: Obj) -> str:
        path = self.root / pod["spec"]["nodeName"] / f"{pod['metadata']['name']}.log"
        return path.read_text() if path.exists() else ""
