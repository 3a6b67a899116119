"""Adapter calls for the objects around workloads: services, policies, leases, storage
claims, Secrets and custom resources (namespaced and cluster-scoped)."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from kubernetes import client as k8s

from harness.targets.kubernetes.errors import APINotFound
from harness.targets.kubernetes.request import Obj, RequestPath


class ObjectCalls(RequestPath):
    def dry_run_create(self, create: Any, resource: Any, body: Obj, namespace: str | None) -> None:
        """`create` (a `DynamicClient`'s) with `dryRun=All`: checked by the server, not stored."""
        name = (body.get("metadata") or {}).get("name")

        def send(**kwargs: Any) -> None:  # the answer (the object as it would be) is not needed
            create(resource, serialize=False, **kwargs)

        self._call(f"dry-run create {body.get('kind')} {name}", send, body=body, namespace=namespace,
                   dry_run="All", attempts=1)

    def read_lease(self, namespace: str, name: str) -> Obj:
        return dict(
            self._call(
                f"read lease {namespace}/{name}",
                self.coordination.read_namespaced_lease,
                name,
                namespace,
            )
        )

    def list_cluster_objects(
        self, *, group: str, version: str, plural: str, label_selector: str
    ) -> list[Obj]:
        found = self._call(
            f"list {plural}.{group} {label_selector}",
            self.custom.list_cluster_custom_object,
            group,
            version,
            plural,
            label_selector=label_selector,
        )
        return list(found["items"])

    def delete_cluster_object(self, *, group: str, version: str, plural: str, name: str) -> None:
        with contextlib.suppress(APINotFound):
            self._call(
                f"delete {plural}.{group} {name}",
                self.custom.delete_cluster_custom_object,
                group,
                version,
                plural,
                name,
            )

    def create_service(self, namespace: str, body: Obj) -> Obj:
        return dict(
            self._call(
                f"create service {namespace}/{body['metadata']['name']}",
                self.core.create_namespaced_service,
                namespace,
                body,
            )
        )

    def read_service(self, namespace: str, name: str) -> Obj:
        return dict(
            self._call(
                f"read service {namespace}/{name}", self.core.read_namespaced_service, name, namespace
            )
        )

    def delete_service(self, namespace: str, name: str) -> None:
        with contextlib.suppress(APINotFound):
            self._call(f"delete service {namespace}/{name}", self.core.delete_namespaced_service,
                       name, namespace)

    def create_network_policy(self, namespace: str, body: Obj) -> Obj:
        return dict(
            self._call(
                f"create networkpolicy {namespace}/{body['metadata']['name']}",
                k8s.NetworkingV1Api(self.api_client).create_namespaced_network_policy,
                namespace,
                body,
            )
        )

    def delete_network_policy(self, namespace: str, name: str) -> None:
        with contextlib.suppress(APINotFound):
            self._call(
                f"delete networkpolicy {namespace}/{name}",
                k8s.NetworkingV1Api(self.api_client).delete_namespaced_network_policy,
                name,
                namespace,
            )

    def create_custom_object(
        self, *, group: str, version: str, plural: str, body: Obj, namespace: str = ""
    ) -> Obj:
        where = f"{namespace}/" if namespace else ""
        what = f"create {plural}.{group} {where}{body['metadata']['name']}"
        if namespace:
            found = self._call(
                what, self.custom.create_namespaced_custom_object, group, version, namespace, plural, body
            )
        else:
            found = self._call(what, self.custom.create_cluster_custom_object, group, version, plural, body)
        return dict(found)

    def delete_namespaced_object(
        self, *, group: str, version: str, plural: str, namespace: str, name: str
    ) -> None:
        with contextlib.suppress(APINotFound):
            self._call(
                f"delete {plural}.{group} {namespace}/{name}",
                self.custom.delete_namespaced_custom_object,
                group,
                version,
                namespace,
                plural,
                name,
            )

    def create_pvc(self, namespace: str, body: Obj) -> Obj:
        return dict(
            self._call(
                f"create persistentvolumeclaim {namespace}/{body['metadata']['name']}",
                self.core.create_namespaced_persistent_volume_claim,
                namespace,
                body,
            )
        )

    def read_pvc(self, namespace: str, name: str) -> Obj:
        return dict(
            self._call(
                f"read persistentvolumeclaim {namespace}/{name}",
                self.core.read_namespaced_persistent_volume_claim,
                name,
                namespace,
            )
        )

    def delete_pvc(self, namespace: str, name: str) -> None:
        with contextlib.suppress(APINotFound):
            self._call(
                f"delete persistentvolumeclaim {namespace}/{name}",
                self.core.delete_namespaced_persistent_volume_claim,
                name,
                namespace,
            )

    def read_secret(self, namespace: str, name: str) -> Obj:
        """The Secret as the API returns it (values base64): callers must never log its data."""

        # Raw bytes: with preloaded content the client logs every response body at DEBUG,
        # which would put the Secret's values into any debug log.
        def read(*, _request_timeout: Any) -> Obj:
            answer = self.core.read_namespaced_secret(
                name, namespace, _preload_content=False, _request_timeout=_request_timeout
            )
            return dict(json.loads(bytes(answer.data)))

        return dict(self._call(f"read secret {namespace}/{name}", read))

    def read_namespaced_object(
        self, *, group: str, version: str, plural: str, namespace: str, name: str
    ) -> Obj:
        return dict(
            self._call(
                f"read {plural}.{group} {namespace}/{name}",
                self.custom.get_namespaced_custom_object,
                group,
                version,
                namespace,
                plural,
                name,
            )
        )

    def list_namespaced_objects(
        self, *, group: str, version: str, plural: str, namespace: str, label_selector: str = ""
    ) -> list[Obj]:
        found = self._call(
            f"list {plural}.{group} in {namespace}",
            self.custom.list_namespaced_custom_object,
            group,
            version,
            namespace,
            plural,
            label_selector=label_selector,
        )
        return list(found["items"])
