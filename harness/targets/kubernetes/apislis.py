"""What the API SLI checks drive on a cluster: independent clients doing ConfigMap verbs in the
run namespace, and pods whose time from create to Ready is measured per node.

Each load client is its own `ApiClient` (its own connection pool, as N kube-burner workers are),
with the run's credentials, talking to the VIP. No call retries (see `harness.workloads.apiload`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from harness.targets.base import TargetError
from harness.targets.kubernetes import manifests
from harness.targets.kubernetes.api import KubeAPI
from harness.targets.kubernetes.errors import APIError
from harness.targets.kubernetes.workloads import pod_is_ready

LOAD_ROLE = "api-load"
STARTUP_ROLE = "startup"
CALL_TIMEOUT_S = 10.0
REWATCH_PAUSE_S = 0.05
"""A watch the server ended before the pod was Ready is opened again after this pause."""


@dataclass
class ConfigMapVerbs:
    """One load client: create, get, list (its role's ConfigMaps) and delete, one attempt each."""

    api: KubeAPI
    namespace: str
    run_id: str

    def create(self, name: str) -> None:
        body = manifests.configmap(name, run_id=self.run_id, data={"value": name}, role=LOAD_ROLE)
        self._timed(f"create configmap {name}", self.api.core.create_namespaced_config_map, self.namespace,
                    body)

    def get(self, name: str) -> None:
        read = self._timed(f"read configmap {name}", self.api.core.read_namespaced_config_map, name,
                           self.namespace)
        if (read.data or {}).get("value") != name:
            raise TargetError(f"configmap {name} read back {read.data!r}")

    def list(self) -> None:
        self._timed("list configmaps", self.api.core.list_namespaced_config_map, self.namespace,
                    label_selector=f"{manifests.ROLE_LABEL}={LOAD_ROLE}")

    def delete(self, name: str) -> None:
        self._timed(f"delete configmap {name}", self.api.core.delete_namespaced_config_map, name,
                    self.namespace)

    def _timed(self, what: str, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """One attempt, the client's own answer: nothing of the harness's inside the timed call."""
        return self.api.call(f"{what} in {self.namespace}", method, *args, attempts=1,
                             timeout_s=CALL_TIMEOUT_S, **kwargs)


@dataclass
class ApiSlis:
    new_client: Callable[[], KubeAPI]
    """A fresh adapter (own connection pool) to the VIP, with the run's credentials."""
    api: KubeAPI
    namespace: str
    run_id: str
    image: str

    def clients(self, count: int) -> list[ConfigMapVerbs]:
        return [ConfigMapVerbs(self.new_client(), self.namespace, self.run_id) for _ in range(count)]

    def pod_startup_s(self, node: str, count: int, timeout_s: float) -> list[float]:
        """Create -> Ready of `count` pods on `node`, one after another, after one warm-up pod
        that is not counted (it pulls the image: Kubernetes' SLO excludes image pulls). Ready is
        seen on a watch of the pod from its create's resourceVersion, as kube-burner's pod
        latency sees it on an informer: when the API server sends the change, not at a poll.

        The window holds the client's own work only, as a hand run's does: the create's answer
        stays the client's V1Pod, and the clock is read at the Ready event, before the watch is
        closed (closing its connection is the harness's work, not the pod's)."""
        found: list[float] = []
        for index in range(count + 1):
            name = manifests.object_name(STARTUP_ROLE, node, str(index))
            body = manifests.pod(name, run_id=self.run_id, image=self.image, command=["sleep", "600"],
                                 node=node, role=STARTUP_ROLE)
            began = time.monotonic()
            created = self.api.create_pod_answer(self.namespace, body)
            try:
                ready_at = (time.monotonic() if self._answered_ready(created)
                            else self._ready_at(name, created.metadata.resource_version, began + timeout_s))
                if ready_at is None:
                    raise TargetError(f"pod {name} on {node} not Ready within {timeout_s:g} s")
                if index > 0:
                    found.append(ready_at - began)
            finally:
                self.api.delete_pod(self.namespace, name)
        return found

    def _answered_ready(self, created: Any) -> bool:
        """The create's answer (the client's V1Pod) already Ready. A real API server resets a new
        pod's status to Pending, so only an API answering with the pod as it stands gets past
        the phase, and pays for the dicts `pod_is_ready` reads."""
        if created.status is None or created.status.phase != "Running":
            return False
        return pod_is_ready(self.api.api_client.sanitize_for_serialization(created))

    def _ready_at(self, name: str, since: str, deadline: float) -> float | None:
        """When (`time.monotonic`) a watch from resourceVersion `since` showed the pod Ready."""
        while (left := deadline - time.monotonic()) > 0:
            try:
                for pod in self.api.watch_pod(self.namespace, name, since=since, timeout_s=left):
                    if pod_is_ready(pod):
                        return time.monotonic()  # read before the return closes the watch
                    since = pod["metadata"]["resourceVersion"]
            except APIError as error:
                raise TargetError(f"watching pod {name}: {error}") from None
            time.sleep(min(REWATCH_PAUSE_S, max(0.0, deadline - time.monotonic())))
        return None

