"""What the kubeconfig's user must be allowed, asked before anything is created.

An RBAC-limited kubeconfig would otherwise fail halfway through a run with a 403 on whatever
came first. Each permission the selected tests need is asked with a SelfSubjectAccessReview
(`kubectl auth can-i`), and every missing one becomes one sentence naming the verb, the resource
and what the harness needs it for.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.errors import HarnessError
from harness.targets.kubernetes.api import KubeAPI


@dataclass(frozen=True)
class Permission:
    verb: str
    resource: str
    why: str
    group: str = ""
    subresource: str = ""
    namespaced: bool = True

    def __str__(self) -> str:
        what = self.resource + (f"/{self.subresource}" if self.subresource else "")
        return f"{self.verb} {what}{f'.{self.group}' if self.group else ''}"


SESSION = (
    Permission("create", "namespaces", "the run's own namespace", namespaced=False),
    Permission("delete", "namespaces", "removing the run's namespace at the end", namespaced=False),
    Permission("list", "nodes", "reading the nodes' readiness and roles", namespaced=False),
    Permission("create", "configmaps", "the API roundtrip (write + read through the VIP)"),
    Permission("get", "configmaps", "the API roundtrip (write + read through the VIP)"),
    Permission("delete", "configmaps", "the API roundtrip (write + read through the VIP)"),
)
PODS = (
    Permission("create", "pods", "tool and node-debug pods"),
    Permission("get", "pods", "waiting for tool and node-debug pods"),
    Permission("delete", "pods", "removing tool and node-debug pods"),
)
BY_NEED: dict[str, tuple[Permission, ...]] = {
    "nodes": (*PODS, Permission("create", "pods", "node facts through the exec API",
                                subresource="exec")),
    "network": (*PODS, Permission("create", "services", "the test LoadBalancer services"),
                Permission("create", "networkpolicies", "the policy matrix", group="networking.k8s.io")),
    "storage": (*PODS, Permission("create", "persistentvolumeclaims", "block volumes"),
                Permission("create", "jobs", "fio and S3 benchmark Jobs", group="batch")),
    "partition": PODS,
    "kill": PODS,
    "api": (*PODS, Permission("list", "configmaps", "the API load (create, get, list, delete)"),
            Permission("watch", "pods", "pod startup latency (each pod's Ready, seen on a watch)")),
}


def missing(api: KubeAPI, permissions: tuple[Permission, ...] | list[Permission],
            namespace: str) -> list[Permission]:
    unique = list(dict.fromkeys(permissions))
    return [p for p in unique if not api.access_allowed(
        verb=p.verb, resource=p.resource, group=p.group, subresource=p.subresource,
        namespace=namespace if p.namespaced else "")]


def needed(needs: set[str]) -> list[Permission]:
    return [p for need in sorted(needs) for p in BY_NEED.get(need, ())]


def check(api: KubeAPI, permissions: tuple[Permission, ...] | list[Permission], namespace: str) -> None:
    """Raise one HarnessError with a sentence per missing permission; nothing when all are there."""
    lacking = missing(api, permissions, namespace)
    if not lacking:
        return
    user = api.whoami() or "this kubeconfig's user"
    lines = [f"the Kubernetes API at {api.host} refuses {len(lacking)} permission(s) the run needs:"]
    for p in lacking:
        where = f"in namespace {namespace}" if p.namespaced else "cluster-wide"
        lines.append(f"  - {user} may not {p} {where} (needed for {p.why})")
    lines.append("Grant them with a (Cluster)Role and binding, or use a kubeconfig that has them.")
    raise HarnessError("\n".join(lines))
