"""Versions of what the cluster runs, read from the cluster itself: Cilium and the Rook operator
from their pods' images, Ceph from the CephCluster's status. Recorded with each run, so a
report can mark the run where Cilium (say) was upgraded. A part that cannot be read is left out
with a log line: a version is a record, never a reason to fail a run."""

from __future__ import annotations

import logging

from harness.profile import Profile
from harness.targets.kubernetes import storagemanifests as sm
from harness.targets.kubernetes.api import KubeAPI, Obj
from harness.targets.kubernetes.errors import APIError

log = logging.getLogger("harness.kubernetes.versions")

CILIUM_AGENT = "k8s-app=cilium"
ROOK_OPERATOR = "app=rook-ceph-operator"


def image_tag(pods: list[Obj]) -> str | None:
    """`quay.io/cilium/cilium:v1.17.3@sha256:...` -> `v1.17.3`; the first pod's first container."""
    for pod in pods:
        containers = (pod.get("spec") or {}).get("containers") or []
        image = str(containers[0].get("image") or "") if containers else ""
        name = image.split("@", 1)[0].rsplit("/", 1)[-1]
        if ":" in name:
            return name.split(":", 1)[1]
    return None


def cluster_versions(api: KubeAPI, profile: Profile) -> dict[str, str]:
    found: dict[str, str] = {}
    for part, namespace, selector in (("cilium", profile.kubernetes.cilium_namespace, CILIUM_AGENT),
                                      ("rook", profile.storage.ceph_namespace, ROOK_OPERATOR)):
        if part == "rook" and not profile.storage.enabled:
            continue
        try:
            tag = image_tag(api.list_pods(namespace, label_selector=selector))
        except APIError as error:
            log.info("%s version unknown: %s", part, error)
            continue
        if tag:
            found[part] = tag
    if profile.storage.enabled:
        try:
            clusters = api.list_namespaced_objects(group=sm.ROOK_GROUP, version=sm.ROOK_VERSION,
                                                   plural="cephclusters",
                                                   namespace=profile.storage.ceph_namespace)
        except APIError as error:
            log.info("ceph version unknown: %s", error)
            clusters = []
        status = (clusters[0].get("status") or {}) if clusters else {}
        version = (status.get("version") or {}).get("version")
        if version:
            found["ceph"] = str(version)
    return found
