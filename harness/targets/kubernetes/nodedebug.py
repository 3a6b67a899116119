"""Node facts on Talos (no SSH, no shell): a privileged node-debug pod per node, and a testinfra
backend that runs each command in it through the Kubernetes exec API.

The pod shares the node's network, PID and IPC namespaces and mounts the host's `/` at `/host`,
so `ip link`, `/proc`, `/sys` describe the node itself; files of the node are read under `/host`.
The backend goes through our adapter (timeouts, retries, our errors), not testinfra's `kubectl`
backend: no `kubectl` binary to install, and the same credentials as every other call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from testinfra.backend import base
from testinfra.host import Host

from harness.targets.base import TargetError
from harness.targets.kubernetes import manifests
from harness.targets.kubernetes.api import KubeAPI
from harness.targets.kubernetes.errors import APIForbidden
from harness.targets.kubernetes.workloads import ExecResult

NODE_DEBUG_LIFETIME_S = 3600
"""The pod sleeps this long at most: a forgotten pod ends itself (the namespace goes anyway)."""
NODE_COMMAND_TIMEOUT_S = 30.0
"""A node fact is one small command (`df`, `cat`, `ip`); past this the node is in trouble."""
HOST_ROOT = manifests.HOST_MOUNT
CONTAINER = "main"

RunInPod = Callable[[list[str]], ExecResult]
"""argv -> what it printed and its exit code, run in one pod's `main` container."""


def node_debug_pod(node: str, *, run_id: str, image: str) -> manifests.Obj:
    return manifests.node_debug_pod(node, run_id=run_id, image=image, lifetime_s=NODE_DEBUG_LIFETIME_S)


class PodExecBackend(base.BaseBackend):  # type: ignore[misc]
    """testinfra backend: every command is `/bin/sh -c <command>` exec'd in the node-debug pod."""

    NAME = "kube-exec"

    def __init__(self, node: str, pod: str, run_in_pod: RunInPod, **kwargs: Any) -> None:
        self.node, self.pod, self.run_in_pod = node, pod, run_in_pod
        super().__init__(pod, **kwargs)

    def get_pytest_id(self) -> str:
        return f"{self.NAME}://{self.node}"

    def run(self, command: str, *args: str, **kwargs: Any) -> base.CommandResult:
        shell = self.get_command(command, *args)
        done = self.run_in_pod(["/bin/sh", "-c", shell])
        if done.exit_code is None:  # the stream closed without a status: we can't trust the output
            raise TargetError(f"{self.node}: no exit status from {shell!r} in pod {self.pod}")
        return self.result(done.exit_code, self.encode(shell), done.stdout, done.stderr)


class NodeDebugPods:
    """Starts one node-debug pod per node on first use and hands out testinfra hosts for them."""

    def __init__(self, *, api: Callable[[], KubeAPI], namespace: Callable[[], str],
                 run_id: Callable[[], str], image: str,
                 wait_ready: Callable[[str, str], object],
                 exec_in: Callable[[str, str, list[str]], ExecResult]) -> None:
        self.api, self.namespace, self.run_id, self.image = api, namespace, run_id, image
        self.wait_ready = wait_ready  # (namespace, pod) -> returns once Running, raises otherwise
        self.exec_in = exec_in  # (namespace, pod, argv) -> ExecResult
        self._hosts: dict[str, Host] = {}

    def host(self, node: str) -> Host:
        if node not in self._hosts:
            body = node_debug_pod(node, run_id=self.run_id(), image=self.image)
            namespace, pod = self.namespace(), str(body["metadata"]["name"])
            try:
                self.api().create_pod(namespace, body)
            except APIForbidden as error:
                if "PodSecurity" not in str(error):
                    raise
                raise TargetError(
                    f"node facts of {node}: PodSecurity in namespace {namespace} refuses the "
                    "privileged node-debug pod; label the namespace "
                    "pod-security.kubernetes.io/enforce=privileged (the run's own namespace is) "
                    f"- the API server said: {error.status.message if error.status else error}"
                ) from None
            self.wait_ready(namespace, pod)
            backend = PodExecBackend(node, pod, lambda argv: self.exec_in(namespace, pod, argv))
            self._hosts[node] = host = Host(backend)
            backend.set_host(host)
        return self._hosts[node]
