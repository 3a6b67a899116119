"""Node facts on Talos (no SSH, no shell): a privileged node-debug pod per node, and testinfra's
`kubectl` backend exec'ing into it.

The pod shares the node's network, PID and IPC namespaces and mounts the host's `/` at `/host`,
so `ip link`, `/proc`, `/sys` describe the node itself; files of the node are read under `/host`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.targets.base import TargetError
from harness.targets.kubernetes import manifests
from harness.targets.kubernetes.api import KubeAPI

NODE_DEBUG_IMAGE = "docker.io/library/alpine:3.20"
"""Multi-arch (arm64 first); has busybox `ip`, `date`, `df`, `uname`."""
NODE_DEBUG_LIFETIME_S = 3600
"""The pod sleeps this long at most: a forgotten pod ends itself (the namespace goes anyway)."""
HOST_ROOT = manifests.HOST_MOUNT


def node_debug_pod(node: str, *, run_id: str, image: str = NODE_DEBUG_IMAGE) -> manifests.Obj:
    return manifests.node_debug_pod(node, run_id=run_id, image=image, lifetime_s=NODE_DEBUG_LIFETIME_S)


def host_spec(*, namespace: str, pod: str, kubeconfig: Path | None, context: str | None) -> str:
    """testinfra's kubectl backend URL for the pod's `main` container."""
    query = [f"namespace={namespace}", "container=main"]
    if kubeconfig is not None:
        query.append(f"kubeconfig={kubeconfig}")
    if context:
        query.append(f"context={context}")
    return f"kubectl://{pod}?{'&'.join(query)}"


class NodeDebugPods:
    """Starts one node-debug pod per node on first use and hands out testinfra hosts for them."""

    def __init__(self, *, api: Callable[[], KubeAPI], namespace: Callable[[], str],
                 run_id: Callable[[], str], wait_ready: Callable[[str, str], object],
                 kubeconfig: Path | None, context: str | None) -> None:
        self.api, self.namespace, self.run_id = api, namespace, run_id
        self.wait_ready = wait_ready  # (namespace, pod) -> returns once Running, raises otherwise
        self.kubeconfig, self.context = kubeconfig, context
        self._started: dict[str, str] = {}

    def pod_for(self, node: str) -> str:
        if node not in self._started:
            body = node_debug_pod(node, run_id=self.run_id())
            self.api().create_pod(self.namespace(), body)
            name = str(body["metadata"]["name"])
            self.wait_ready(self.namespace(), name)
            self._started[node] = name
        return self._started[node]

    def host(self, node: str) -> Any:
        try:
            import testinfra
        except ImportError as error:  # a dependency of the package: only a broken install
            raise TargetError(f"node facts need pytest-testinfra: {error}") from None
        spec = host_spec(namespace=self.namespace(), pod=self.pod_for(node),
                         kubeconfig=self.kubeconfig, context=self.context)
        return testinfra.get_host(spec)
