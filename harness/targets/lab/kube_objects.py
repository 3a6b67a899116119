"""Objects the Kubernetes lab registers once its API answers: Nodes, CRDs, the LB announcer's
Leases. Through the official client with the admin kubeconfig, like any cluster operator."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.client.rest import ApiException

from harness.targets.base import TargetError
from harness.targets.lab import kube_config as kc
from harness.targets.lab.config import LabPlan

REQUEST_TIMEOUT_S = 5.0


def admin_client(plan: LabPlan) -> k8s.ApiClient:
    configuration = k8s.Configuration()
    k8s_config.load_kube_config(config_file=str(kc.admin_kubeconfig(plan)),
                                client_configuration=configuration)
    configuration.proxy = None  # lab traffic never goes to a proxy from the environment
    configuration.host = kc.api_url_for(plan)  # the VIP, unless a defect leaves it unserved
    return k8s.ApiClient(configuration)


def _create(call: Any, body: Any) -> None:
    """Create, or leave alone what an earlier (interrupted) `up` created."""
    try:
        call(body, _request_timeout=REQUEST_TIMEOUT_S)
    except ApiException as error:
        if error.status != 409:
            raise TargetError(f"the Kubernetes lab: creating {body['kind']} "
                              f"{body['metadata']['name']}: HTTP {error.status} {error.reason}") from None


KWOK_READER = "cluster-harness:kwok-node-reader"


def kwok_reader_rbac() -> tuple[dict[str, Any], dict[str, Any]]:
    """kwok lists every Node, Pod and node Lease before it picks out its own (a kubelet asks for
    its own by name or field selector, which the Node authorizer allows): nodes may read them. Writes
    stay under the Node authorizer and NodeRestriction: a node changes only its own objects."""
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": KWOK_READER},
            "rules": [{"apiGroups": [""], "resources": ["nodes", "pods"],
                       "verbs": ["get", "list", "watch"]},
                      {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"],
                       "verbs": ["get", "list", "watch"]}]}
    binding = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
               "metadata": {"name": KWOK_READER},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                           "name": KWOK_READER},
               "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group",
                             "name": "system:nodes"}]}
    return role, binding


def bootstrap(plan: LabPlan, crd_files: list[Path]) -> k8s.ApiClient:
    """Register the Nodes (kwok manages nodes it is given, it does not create them) and install
    the custom resource definitions; returns the admin client."""
    from harness.targets.lab.kube import load_crds

    api = admin_client(plan)
    core, extensions = k8s.CoreV1Api(api), k8s.ApiextensionsV1Api(api)
    for node in plan.nodes:
        _create(core.create_node, kc.node_object(plan, node.name))
    rbac = k8s.RbacAuthorizationV1Api(api)
    role, binding = kwok_reader_rbac()
    _create(rbac.create_cluster_role, role)
    _create(rbac.create_cluster_role_binding, binding)
    if "webhook-blackholed" in plan.defects:
        _create(k8s.AdmissionregistrationV1Api(api).create_validating_webhook_configuration,
                kc.blackholed_webhook(plan))
    crds = load_crds(crd_files)
    for crd in crds:
        _create(extensions.create_custom_resource_definition, crd)
    names = {str(crd["metadata"]["name"]) for crd in crds}  # type: ignore[index]
    deadline = time.monotonic() + 20
    while names and time.monotonic() < deadline:
        for name in sorted(names):
            found = extensions.read_custom_resource_definition(name, _request_timeout=REQUEST_TIMEOUT_S)
            conditions = (found.status.conditions or []) if found.status else []
            if any(c.type == "Established" and c.status == "True" for c in conditions):
                names.discard(name)
        time.sleep(0.1)
    if names:
        raise TargetError(f"the Kubernetes lab: CRDs not established: {', '.join(sorted(names))}")
    return api


def ready_nodes(api: k8s.ApiClient, names: list[str]) -> list[str]:
    found = []
    for node in k8s.CoreV1Api(api).list_node(_request_timeout=REQUEST_TIMEOUT_S).items:
        conditions = node.status.conditions or [] if node.status else []
        if node.metadata.name in names and any(c.type == "Ready" and c.status == "True"
                                               for c in conditions):
            found.append(node.metadata.name)
    return sorted(found)


def wait_nodes_ready(api: k8s.ApiClient, names: list[str], timeout_s: float) -> int:
    deadline = time.monotonic() + timeout_s
    ready: list[str] = []
    while time.monotonic() < deadline:
        ready = ready_nodes(api, names)
        if len(ready) == len(names):
            return len(ready)
        time.sleep(0.2)
    missing = sorted(set(names) - set(ready))
    raise TargetError(f"the Kubernetes lab: nodes {', '.join(missing)} not Ready within {timeout_s:g} s "
                      "(their kwok logs are under the lab's state dir, logs/<node>-kwok.log)")
