"""Orphans: objects a crashed or killed run left behind, found by the harness labels.

Namespaces hold everything namespaced; cluster-scoped custom resources (test LB pools, L2
policies, CCNPs) are listed kind by kind. A kind whose CRD is not installed is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.targets.kubernetes import manifests
from harness.targets.kubernetes.api import KubeAPI
from harness.targets.kubernetes.errors import APINotFound


@dataclass(frozen=True)
class ClusterKind:
    group: str
    version: str
    plural: str


CLUSTER_KINDS = (
    ClusterKind("cilium.io", "v2alpha1", "ciliumloadbalancerippools"),
    ClusterKind("cilium.io", "v2alpha1", "ciliuml2announcementpolicies"),
    ClusterKind("cilium.io", "v2", "ciliumclusterwidenetworkpolicies"),
)


@dataclass(frozen=True)
class Orphan:
    kind: str  # "namespaces" or a CRD plural
    name: str
    run_id: str
    group: str = ""
    version: str = ""

    def __str__(self) -> str:
        kind = f"{self.kind}.{self.group}" if self.group else self.kind
        return f"{kind}/{self.name} (run {self.run_id})"


def find_orphans(api: KubeAPI, *, keep_run: str | None = None) -> list[Orphan]:
    """Everything labelled managed-by=cluster-harness, except what belongs to `keep_run`."""
    found = [
        Orphan("namespaces", ns["metadata"]["name"], _run(ns))
        for ns in api.list_namespaces(label_selector=manifests.MANAGED_SELECTOR)
    ]
    for kind in CLUSTER_KINDS:
        try:
            items = api.list_cluster_objects(
                group=kind.group,
                version=kind.version,
                plural=kind.plural,
                label_selector=manifests.MANAGED_SELECTOR,
            )
        except APINotFound:
            continue  # that CRD is not installed here
        found += [
            Orphan(kind.plural, item["metadata"]["name"], _run(item), kind.group, kind.version)
            for item in items
        ]
    return [orphan for orphan in found if orphan.run_id != keep_run]


def delete_orphan(api: KubeAPI, orphan: Orphan) -> None:
    if orphan.kind == "namespaces":
        api.delete_namespace(orphan.name)
    else:
        api.delete_cluster_object(
            group=orphan.group, version=orphan.version, plural=orphan.kind, name=orphan.name
        )


def _run(obj: dict[str, object]) -> str:
    metadata = obj.get("metadata")
    labels = metadata.get("labels") if isinstance(metadata, dict) else None
    return str((labels or {}).get(manifests.RUN_LABEL, "?"))
