"""A dry run's plan checked by the API server itself: each planned create sent with `dryRun=All`.

The server runs a write's whole path (defaults, the built-in and CRD schemas, admission such as
PodSecurity, RBAC) and stores nothing. Kinds are found through the server's discovery (the
official client's `DynamicClient`), so custom resources are checked against the CRDs the
cluster really has installed.

A namespaced object needs its namespace to exist, even in a dry run, and the plan's namespaces
do not exist yet: such an object is checked in `default` instead, and the verdict says so. A
PodSecurity refusal there says nothing about the run's namespace, which carries its own
PodSecurity labels, so it is reported apart from the refusals that hold anywhere.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.targets.kubernetes.api import KubeAPI
from harness.targets.kubernetes.errors import APIError, APINotFound
from harness.targets.planning import PlannedWrite, Verdict

STAND_IN_NAMESPACE = "default"
REACHABLE_TIMEOUT_S = 3.0


def unreachable(api: KubeAPI) -> str | None:
    """Why the server cannot check the plan, or None when it answers."""
    try:
        api.version(timeout_s=REACHABLE_TIMEOUT_S, attempts=1)
    except APIError as error:
        return str(error)
    return None


def check_plan(api: KubeAPI, writes: Sequence[PlannedWrite]) -> list[Verdict]:
    """One verdict per planned create with a manifest, in the plan's order."""
    from kubernetes.dynamic import DynamicClient

    with tempfile.TemporaryDirectory(prefix="harness-discovery-") as scratch:
        dynamic = DynamicClient(api.api_client, cache_file=str(Path(scratch) / "discovery.json"))
        return [_check(api, dynamic, w) for w in writes if w.verb == "create" and w.manifest]


def _check(api: KubeAPI, dynamic: Any, write: PlannedWrite) -> Verdict:
    from kubernetes.dynamic.exceptions import ResourceNotFoundError

    manifest = dict(write.manifest or {})
    try:
        resource = dynamic.resources.get(api_version=manifest.get("apiVersion"), kind=manifest.get("kind"))
    except ResourceNotFoundError:
        return Verdict(write, False, f"the server has no {manifest.get('apiVersion')} {manifest.get('kind')} "
                                     "(CRD not installed?)")
    namespace = write.namespace if resource.namespaced else None
    try:
        api.dry_run_create(dynamic.create, resource, manifest, namespace)
        return Verdict(write, True, "accepted")
    except APINotFound as error:
        if namespace is None or "namespaces" not in str(error):
            return Verdict(write, False, _reason(error))
    except APIError as error:
        return Verdict(write, False, _reason(error))
    manifest["metadata"] = {**manifest.get("metadata", {}), "namespace": STAND_IN_NAMESPACE}
    try:
        api.dry_run_create(dynamic.create, resource, manifest, STAND_IN_NAMESPACE)
        return Verdict(write, True, "accepted", where=STAND_IN_NAMESPACE)
    except APIError as error:
        return Verdict(write, False, _reason(error), where=STAND_IN_NAMESPACE)


def _reason(error: APIError) -> str:
    """The server's own words (its Status message), else our sentence."""
    status = getattr(error, "status", None)
    message = getattr(status, "message", "") if status is not None else ""
    return " ".join(str(message or error).split())[:400]
