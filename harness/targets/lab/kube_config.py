"""The Kubernetes lab's command lines and config files, derived from the lab plan (pure).

A real control plane the way Talos runs one: kube-apiserver on every control-plane node
against its local etcd member, `Node,RBAC` authorization, PodSecurity `baseline` enforced by
default, NodeRestriction; kube-controller-manager and kube-scheduler on every control-plane
node, leader-elected, talking to the VIP (`api_url_for`); one kwok per node as its kubelet.
"""

from __future__ import annotations

from ipaddress import IPv4Network
from pathlib import Path

import yaml

from harness.targets.kubernetes.manifests import MANAGED_BY, MANAGED_BY_LABEL, ROLE_LABEL
from harness.targets.lab.config import ETCD_CLIENT_PORT, LabPlan

API_PORT = 6443
KUBELET_PORT = 10250
SERVICE_CIDR = "198.19.240.0/20"
"""Service ClusterIPs: inside the lab's range, beside the pods' 198.19.<node>.0/24."""
KWOK_POD_CIDR = "198.19.{index}.0/24"  # the node's own pod range, as the lab's pods use it
KUBE_SERVICES = ("kube-apiserver", "kube-controller-manager", "kube-scheduler")
NODE_SERVICE = "kwok"
TALOS_LABELS = {"kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"}
CONTROLPLANE_TAINT = {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}
"""Talos taints control-plane nodes unless `allowSchedulingOnControlPlanes`; this cluster
schedules on them, so the lab's Nodes carry the label but not the taint (see `node_object`)."""


def kube_dir(plan: LabPlan) -> Path:
    return plan.state_dir / "kubernetes"


def pki_dir(plan: LabPlan) -> Path:
    return kube_dir(plan) / "pki"


def admin_kubeconfig(plan: LabPlan) -> Path:
    """The admin's kubeconfig (system:masters, server = the VIP): what a user points at."""
    return kube_dir(plan) / "admin.kubeconfig"


def component_kubeconfig(plan: LabPlan, name: str) -> Path:
    return kube_dir(plan) / f"{name}.kubeconfig"


def vip_url(plan: LabPlan) -> str:
    return f"https://{plan.vip}:{API_PORT}"


def node_url(plan: LabPlan, node: str) -> str:
    return f"https://{plan.node(node).address}:{API_PORT}"


def api_host_for(plan: LabPlan, node: str | None = None) -> str:
    """The address the lab's own clients reach the API at (`node`'s components, or the
    workstation's bootstrap and LB controller for None): the VIP while it is served, else what
    Talos' KubePrism falls back to without its cluster endpoint, the node's own kube-apiserver or
    the first control-plane node that runs one. A broken VIP is then a fault the checks see, not
    a lab that cannot come up."""
    if plan.vip_served:
        return plan.vip
    serving = [n.name for n in plan.controlplane if "kube-apiserver" in plan.services(n.name)]
    if not serving:
        raise ValueError("no control-plane node of the Kubernetes lab runs kube-apiserver")
    return plan.node(node if node in serving else serving[0]).address


def api_url_for(plan: LabPlan, node: str | None = None) -> str:
    return f"https://{api_host_for(plan, node)}:{API_PORT}"


def serving_names(plan: LabPlan) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(DNS names, IPs) the apiserver answers to: the VIP, every control-plane address, the
    in-cluster `kubernetes` Service (first IP of the service range) and loopback."""
    dns = ("kubernetes", "kubernetes.default", "kubernetes.default.svc",
           "kubernetes.default.svc.cluster.local", "localhost")
    first_service_ip = str(next(IPv4Network(SERVICE_CIDR).hosts()))
    ips = (plan.vip, *(n.address for n in plan.controlplane), first_service_ip, "127.0.0.1")
    return dns, ips


def admission_config() -> str:
    """PodSecurity defaults as Talos ships them: enforce `baseline`, audit and warn `restricted`,
    kube-system exempt. A namespace opts out with its own `pod-security.kubernetes.io/*` labels."""
    return yaml.safe_dump({
        "apiVersion": "apiserver.config.k8s.io/v1", "kind": "AdmissionConfiguration",
        "plugins": [{"name": "PodSecurity", "configuration": {
            "apiVersion": "pod-security.admission.config.k8s.io/v1",
            "kind": "PodSecurityConfiguration",
            "defaults": {"enforce": "baseline", "enforce-version": "latest",
                         "audit": "restricted", "audit-version": "latest",
                         "warn": "restricted", "warn-version": "latest"},
            "exemptions": {"usernames": [], "runtimeClasses": [], "namespaces": ["kube-system"]},
        }}],
    }, sort_keys=False)


def apiserver_argv(plan: LabPlan, node: str, binary: Path) -> list[str]:
    n, pki = plan.node(node), pki_dir(plan)
    return [
        str(binary),
        # Like Talos: each apiserver uses its own node's etcd member.
        f"--etcd-servers=http://{n.address}:{ETCD_CLIENT_PORT}",
        "--bind-address=0.0.0.0", f"--secure-port={API_PORT}", f"--advertise-address={n.address}",
        f"--tls-cert-file={pki / 'apiserver.crt'}", f"--tls-private-key-file={pki / 'apiserver.key'}",
        f"--client-ca-file={pki / 'ca.crt'}",
        f"--kubelet-client-certificate={pki / 'apiserver-kubelet-client.crt'}",
        f"--kubelet-client-key={pki / 'apiserver-kubelet-client.key'}",
        f"--service-account-key-file={pki / 'sa.pub'}",
        f"--service-account-signing-key-file={pki / 'sa.key'}",
        f"--service-account-issuer={vip_url(plan)}",
        f"--service-cluster-ip-range={SERVICE_CIDR}",
        "--authorization-mode=Node,RBAC",
        "--allow-privileged=true",  # as Talos sets it: privileged pods are for PodSecurity to judge
        "--enable-admission-plugins=NodeRestriction",
        f"--admission-control-config-file={kube_dir(plan) / 'admission.yaml'}",
        "--kubelet-preferred-address-types=InternalIP",
        "--profiling=false", "--v=1",
    ]


def controller_manager_argv(plan: LabPlan, node: str, binary: Path) -> list[str]:
    n, pki = plan.node(node), pki_dir(plan)
    kubeconfig = component_kubeconfig(plan, f"kube-controller-manager-{node}")
    return [
        str(binary), f"--kubeconfig={kubeconfig}",
        f"--authentication-kubeconfig={kubeconfig}", f"--authorization-kubeconfig={kubeconfig}",
        "--leader-elect=true", "--use-service-account-credentials=true",
        f"--service-account-private-key-file={pki / 'sa.key'}", f"--root-ca-file={pki / 'ca.crt'}",
        f"--cluster-signing-cert-file={pki / 'ca.crt'}", f"--cluster-signing-key-file={pki / 'ca.key'}",
        f"--bind-address={n.address}", "--profiling=false", "--v=1",
    ]


def scheduler_argv(plan: LabPlan, node: str, binary: Path) -> list[str]:
    kubeconfig = component_kubeconfig(plan, f"kube-scheduler-{node}")
    return [
        str(binary), f"--kubeconfig={kubeconfig}",
        f"--authentication-kubeconfig={kubeconfig}", f"--authorization-kubeconfig={kubeconfig}",
        "--leader-elect=true", f"--bind-address={plan.node(node).address}", "--profiling=false",
        "--v=1",
    ]


def node_object(plan: LabPlan, node: str) -> dict[str, object]:
    """The Node as a kubelet on Talos registers it: role label on control-plane nodes, Talos-like
    labels; kwok fills in its status (addresses, conditions, kubelet port)."""
    n = plan.node(node)
    labels = {**TALOS_LABELS, "kubernetes.io/hostname": node}
    if n.controlplane:
        labels["node-role.kubernetes.io/control-plane"] = ""
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": node, "labels": labels,
                         "annotations": {"kwok.x-k8s.io/node": "fake",
                                         "node.alpha.kubernetes.io/ttl": "0"}},
            "spec": {"podCIDR": KWOK_POD_CIDR.format(index=plan.nodes.index(n) + 1)}}


def kwok_config_path(plan: LabPlan, node: str) -> Path:
    return kube_dir(plan) / f"kwok-{node}.yaml"


WEBHOOK_TABLE = "harness_webhook_blackhole"
WEBHOOK_TIMEOUT_S = 1


def webhook_address(plan: LabPlan) -> str:
    """.9 of the lab's network: no node, VIP, workstation or pool address."""
    return str(IPv4Network(f"{plan.workstation}/{plan.prefix_length}", strict=False)[9])


def blackholed_webhook(plan: LabPlan) -> dict[str, object]:
    """`webhook-blackholed`: a validating webhook on ConfigMap creates and deletes in the harness's
    own namespaces whose server never answers (each control-plane node drops the packets to it),
    with `failurePolicy: Ignore` - the classic dead policy engine that makes every write wait
    out the webhook's timeout before the API server gives up on it."""
    return {
        "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": "lab-blackholed-policy"},
        "webhooks": [{
            "name": "configmaps.policy.lab.invalid",
            "clientConfig": {"url": f"https://{webhook_address(plan)}:443/validate"},
            "rules": [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE", "DELETE"],
                       "resources": ["configmaps"], "scope": "Namespaced"}],
            "namespaceSelector": {"matchLabels": {MANAGED_BY_LABEL: MANAGED_BY}},
            "failurePolicy": "Ignore", "sideEffects": "None", "timeoutSeconds": WEBHOOK_TIMEOUT_S,
            "admissionReviewVersions": ["v1"],
        }],
    }


SLOW_KUBELET_DELAY_MS = 6000
"""`kubelet-slow`: a pod on that node turns Ready 6 s after it is bound (over the 5 s SLO)."""


def slowed(stages: str, delay_ms: int) -> str:
    """kwok's stages with its pod-ready stage delayed: the lab's slow kubelet."""
    docs = [d for d in yaml.safe_load_all(stages) if d]
    for doc in docs:
        if doc.get("kind") == "Stage" and doc.get("metadata", {}).get("name") == "pod-ready":
            doc["spec"]["delay"] = {"durationMilliseconds": delay_ms}
    return "".join(f"---\n{yaml.safe_dump(d, sort_keys=False)}" for d in docs)


def kwok_config(stages: str, envs: dict[str, str] | None = None) -> str:
    """kwok's config: its own default stages (printed by `kwok-stages`, see tools/kwok) and one
    ClusterExec rule: an exec into any pod on the node runs the command on kwok's host, which is
    the node's network namespace. That is how node facts reach a lab node through the exec API.
    `envs` go to every such command (`clock-skew`: libfaketime, as the plain lab's host uses)."""
    local = {"envs": [{"name": k, "value": v} for k, v in (envs or {}).items()]} if envs else {}
    cluster_exec = {"apiVersion": "kwok.x-k8s.io/v1alpha1", "kind": "ClusterExec",
                    "metadata": {"name": "node-namespace"}, "spec": {"execs": [{"local": local}]}}
    extra = [cluster_exec, PREFLIGHT_COMPLETES]
    return stages.rstrip() + "".join(f"\n---\n{yaml.safe_dump(d, sort_keys=False)}" for d in extra)


# kwok completes only Job pods (its default stages); a real kubelet also finishes a plain pod
# whose command exits. The preflight's pods run a no-op (`uname -m`, `fio --version`): on a node
# whose kwok runs they complete as that no-op would, exit code 0. A node without its kwok (the
# `kubelet-down` defect) leaves them Pending, as a node without a kubelet does.
PREFLIGHT_COMPLETES = {
    "apiVersion": "kwok.x-k8s.io/v1alpha1", "kind": "Stage",
    "metadata": {"name": "lab-preflight-pod-completes"},
    "spec": {
        "resourceRef": {"apiGroup": "v1", "kind": "Pod"},
        "selector": {"matchExpressions": [
            {"key": f'.metadata.labels["{ROLE_LABEL}"]', "operator": "In", "values": ["preflight"]},
            {"key": ".metadata.deletionTimestamp", "operator": "DoesNotExist"},
            {"key": ".status.phase", "operator": "In", "values": ["Running"]},
        ]},
        "next": {"statusTemplate": "\n".join([
            "{{ $now := Now }}",
            "containerStatuses:",
            "{{ range .spec.containers }}",
            "- image: {{ .image | Quote }}",
            "  name: {{ .name | Quote }}",
            "  ready: false",
            "  restartCount: 0",
            "  state:",
            "    terminated: {exitCode: 0, reason: Completed, startedAt: {{ $now | Quote }}, "
            "finishedAt: {{ $now | Quote }}}",
            "{{ end }}",
            "phase: Succeeded",
        ])},
    },
}


def kwok_argv(plan: LabPlan, node: str, binary: Path) -> list[str]:
    n, pki = plan.node(node), pki_dir(plan)
    return [
        str(binary), f"--kubeconfig={component_kubeconfig(plan, f'kwok-{node}')}",
        f"--config={kwok_config_path(plan, node)}",
        f"--manage-single-node={node}", f"--node-name={node}", f"--node-ip={n.address}",
        f"--node-port={KUBELET_PORT}", f"--server-address={n.address}:{KUBELET_PORT}",
        f"--tls-cert-file={pki / f'kubelet-{node}.crt'}",
        f"--tls-private-key-file={pki / f'kubelet-{node}.key'}",
        f"--cidr={KWOK_POD_CIDR.format(index=plan.nodes.index(n) + 1)}",
        "--node-lease-duration-seconds=40",
    ]
