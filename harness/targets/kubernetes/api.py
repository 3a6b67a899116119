"""The one adapter over the official `kubernetes` client: `KubeAPI`, every call through
`RequestPath._call` (timeouts, bounded retries, our exceptions; see `request.py`).

Here: the cluster, namespaces and ConfigMaps; workloads in `api_workloads.py`, the other
objects in `api_objects.py`.
"""

from __future__ import annotations

from harness.targets.kubernetes.api_objects import ObjectCalls
from harness.targets.kubernetes.api_workloads import WorkloadCalls
from harness.targets.kubernetes.errors import APIError, APINotFound
from harness.targets.kubernetes.request import Obj, kubeconfig_path, load_client

__all__ = ["KubeAPI", "Obj", "kubeconfig_path", "load_client"]


class KubeAPI(WorkloadCalls, ObjectCalls):
    """Typed-enough access to the few API kinds the target uses; raises only `APIError`s."""

    # -- cluster ----------------------------------------------------------------------
    def version(self, *, timeout_s: float | None = None, attempts: int | None = None) -> Obj:
        return dict(
            self._call(
                "read /version", self.version_api.get_code, timeout_s=timeout_s, attempts=attempts
            )
        )

    def list_nodes(self) -> list[Obj]:
        return list(self._call("list nodes", self.core.list_node)["items"])

    # -- namespaces -------------------------------------------------------------------
    def create_namespace(self, body: Obj) -> Obj:
        return dict(
            self._call(f"create namespace {body['metadata']['name']}", self.core.create_namespace, body)
        )

    def list_namespaces(self, *, label_selector: str) -> list[Obj]:
        return list(
            self._call(
                f"list namespaces {label_selector}",
                self.core.list_namespace,
                label_selector=label_selector,
            )["items"]
        )

    def read_namespace(self, name: str) -> Obj | None:
        """The namespace, or None once it is gone."""
        try:
            return dict(self._call(f"read namespace {name}", self.core.read_namespace, name))
        except APINotFound:
            return None

    def access_allowed(self, *, verb: str, resource: str, group: str = "", namespace: str = "",
                       subresource: str = "") -> bool:
        """Whether this kubeconfig's user may do it: a SelfSubjectAccessReview, as `kubectl auth
        can-i` asks (every user may ask it about themselves)."""
        attributes = {"verb": verb, "resource": resource, "group": group, "namespace": namespace,
                      "subresource": subresource}
        body = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
                "spec": {"resourceAttributes": {k: v for k, v in attributes.items() if v}}}
        answer = self._call(f"can-i {verb} {resource}", self.authorization.create_self_subject_access_review,
                            body)
        return bool((answer.get("status") or {}).get("allowed"))

    def whoami(self) -> str | None:
        """The user name the API server sees (a SelfSubjectReview), None if it won't say."""
        body = {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}
        try:
            answer = self._call("whoami", self.authentication.create_self_subject_review, body,
                                attempts=1)
        except APIError:
            return None
        name = ((answer.get("status") or {}).get("userInfo") or {}).get("username")
        return str(name) if name else None

    def delete_namespace(self, name: str, *, missing_ok: bool = True) -> None:
        try:
            self._call(
                f"delete namespace {name}",
                self.core.delete_namespace,
                name,
                propagation_policy="Background",
            )
        except APINotFound:
            if not missing_ok:
                raise

    # -- namespaced core objects ----------------------------------------------------------
    def create_configmap(
        self, namespace: str, body: Obj, *, timeout_s: float | None = None, attempts: int | None = None
    ) -> Obj:
        return dict(
            self._call(
                f"create configmap {namespace}/{body['metadata']['name']}",
                self.core.create_namespaced_config_map,
                namespace,
                body,
                timeout_s=timeout_s,
                attempts=attempts,
            )
        )

    def read_configmap(
        self, namespace: str, name: str, *, timeout_s: float | None = None, attempts: int | None = None
    ) -> Obj:
        return dict(
            self._call(
                f"read configmap {namespace}/{name}",
                self.core.read_namespaced_config_map,
                name,
                namespace,
                timeout_s=timeout_s,
                attempts=attempts,
            )
        )

    def list_configmaps(
        self, namespace: str, *, label_selector: str, timeout_s: float | None = None,
        attempts: int | None = None,
    ) -> list[Obj]:
        found = self._call(
            f"list configmaps {namespace} {label_selector}",
            self.core.list_namespaced_config_map,
            namespace,
            label_selector=label_selector,
            timeout_s=timeout_s,
            attempts=attempts,
        )
        return list(found["items"])

    def delete_configmap(
        self, namespace: str, name: str, *, timeout_s: float | None = None, attempts: int | None = None
    ) -> None:
        self._call(
            f"delete configmap {namespace}/{name}",
            self.core.delete_namespaced_config_map,
            name,
            namespace,
            timeout_s=timeout_s,
            attempts=attempts,
        )
