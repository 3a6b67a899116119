"""Every object the kubernetes target creates, built here as plain dicts (validated in tests).

All of them carry the harness labels, so `harness clean` finds what a crashed run left behind.
Tool pods are pinned to a node by `nodeName` (no scheduler involved: a pinned test must run on
exactly that node or fail), never restart, and tolerate control-plane taints.
"""

from __future__ import annotations

import re
from typing import Any

Obj = dict[str, Any]

MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY = "cluster-harness"
RUN_LABEL = "harness/run-id"
ROLE_LABEL = "harness/role"
MANAGED_SELECTOR = f"{MANAGED_BY_LABEL}={MANAGED_BY}"
POD_SECURITY = {
    f"pod-security.kubernetes.io/{mode}": "privileged" for mode in ("enforce", "audit", "warn")
}
"""Talos enforces `baseline`; node-debug pods need host namespaces and mounts."""
TOLERATE_EVERYTHING = [{"operator": "Exists"}]
HOST_MOUNT = "/host"
DNS1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def namespace_name(run_id: str) -> str:
    name = "harness-" + re.sub(r"[^a-z0-9-]", "-", run_id.lower())
    return name[:63].rstrip("-")


def object_name(*parts: str) -> str:
    """A DNS-1123 name from parts (`probe`, `kcp1`) that fits in 63 characters."""
    name = re.sub(r"[^a-z0-9-]+", "-", "-".join(parts).lower()).strip("-")
    return name[:63].rstrip("-")


def labels(run_id: str, role: str | None = None) -> dict[str, str]:
    found = {MANAGED_BY_LABEL: MANAGED_BY, RUN_LABEL: run_id}
    if role:
        found[ROLE_LABEL] = role
    return found


def namespace(run_id: str) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": namespace_name(run_id), "labels": {**labels(run_id), **POD_SECURITY}},
    }


def configmap(name: str, *, run_id: str, data: dict[str, str], role: str = "roundtrip") -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "labels": labels(run_id, role)},
        "data": dict(data),
    }


def _container(name: str, image: str, command: list[str], *, privileged: bool = False) -> Obj:
    container: Obj = {
        "name": name,
        "image": image,
        "command": list(command),
        "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}},
    }
    if privileged:
        container["securityContext"] = {"privileged": True}
        container["volumeMounts"] = [{"name": "host", "mountPath": HOST_MOUNT}]
    return container


def pod_spec(
    *, image: str, command: list[str], node: str, privileged: bool = False, host_namespaces: bool = False
) -> Obj:
    spec: Obj = {
        "nodeName": node,
        "restartPolicy": "Never",
        "tolerations": TOLERATE_EVERYTHING,
        "terminationGracePeriodSeconds": 0,
        "automountServiceAccountToken": False,
        "containers": [_container("main", image, command, privileged=privileged)],
    }
    if host_namespaces:
        spec.update(hostNetwork=True, hostPID=True, hostIPC=True)
    if privileged:
        spec["volumes"] = [{"name": "host", "hostPath": {"path": "/", "type": "Directory"}}]
    return spec


def pod(
    name: str,
    *,
    run_id: str,
    image: str,
    command: list[str],
    node: str,
    role: str = "tool",
    privileged: bool = False,
    host_namespaces: bool = False,
) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": labels(run_id, role)},
        "spec": pod_spec(
            image=image,
            command=command,
            node=node,
            privileged=privileged,
            host_namespaces=host_namespaces,
        ),
    }


def job(
    name: str,
    *,
    run_id: str,
    image: str,
    command: list[str],
    node: str,
    deadline_s: int,
    role: str = "tool",
) -> Obj:
    """A run-once Job on `node`: no retries (a failing tool is a result), bounded by `deadline_s`."""
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "labels": labels(run_id, role)},
        "spec": {
            "backoffLimit": 0,
            "activeDeadlineSeconds": deadline_s,
            "ttlSecondsAfterFinished": 3600,
            "template": {
                "metadata": {"labels": labels(run_id, role)},
                "spec": pod_spec(image=image, command=command, node=node),
            },
        },
    }


def node_debug_pod(node: str, *, run_id: str, image: str, lifetime_s: int = 3600) -> Obj:
    """Privileged, in the node's namespaces, host filesystem at /host: testinfra execs into it."""
    return pod(
        object_name("node-debug", node),
        run_id=run_id,
        image=image,
        command=["sleep", str(lifetime_s)],
        node=node,
        role="node-debug",
        privileged=True,
        host_namespaces=True,
    )


def preflight_pod(node: str, *, run_id: str, image: str, command: list[str]) -> Obj:
    return pod(
        object_name("preflight", node),
        run_id=run_id,
        image=image,
        command=command,
        node=node,
        role="preflight",
    )
