"""The Kubernetes lab: a real control plane on the lab's nodes, as a `LabComponent`.

`up` issues the PKI once, starts kube-apiserver on each control-plane node (its local etcd
member behind it) and waits until the VIP serves `/readyz`, then the leader-elected
controller-manager and scheduler, registers the Node objects, starts one kwok per node inside
that node's namespace, installs the Cilium and Rook CRDs the harness uses and waits for every
Node to be Ready. Every process is a lab service (`LabPlan.services`): tracked by PID, killed
by power-off, restarted by power-on, stopped by `down`.
"""

from __future__ import annotations

import functools
import os
import platform
import ssl
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from harness.targets.base import TargetError
from harness.targets.lab import kube_config as kc
from harness.targets.lab import kube_pki
from harness.targets.lab.host import skewed_env
from harness.targets.lab.waiting import wait_until

if TYPE_CHECKING:
    from harness.targets.lab.config import LabPlan
    from harness.targets.lab.lifecycle import Lab

BIN_ENV = "CLUSTER_HARNESS_KUBE_BIN"
REPO = Path(__file__).resolve().parents[3]
REFERENCE = Path(__file__).resolve().parents[2] / "reference"
CRDS = ("cilium/v1.17.3/ciliumloadbalancerippools.yaml", "cilium/v1.17.3/ciliuml2announcementpolicies.yaml",
        "cilium/v1.17.3/ciliumnetworkpolicies.yaml", "cilium/v1.17.3/ciliumclusterwidenetworkpolicies.yaml",
        "rook/crds/cephclusters.yaml", "rook/crds/cephblockpools.yaml", "rook/crds/cephobjectstores.yaml",
        "rook/crds/objectbucketclaims.yaml", "rook/crds/objectbuckets.yaml")
BINARIES = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd", "kwok", "kwok-stages")


def binaries() -> Path:
    """The directory with the pinned binaries: `$CLUSTER_HARNESS_KUBE_BIN`, or the cache that
    `tools/build` (run by `scripts/setup`) filled. Refuses with the command that builds them."""
    return _binaries(os.environ.get(BIN_ENV))


@functools.cache  # every service start asks: one `tools/build --where` per process (failures aren't kept)
def _binaries(explicit: str | None) -> Path:
    if explicit:
        found = Path(explicit)
    else:
        build = REPO / "tools" / "build"
        if not build.exists():
            raise TargetError(f"the Kubernetes lab needs its binaries: set {BIN_ENV} to a directory "
                              f"with {', '.join(BINARIES)}")
        answer = subprocess.run([str(build), "--where"], capture_output=True, text=True, check=False)
        if answer.returncode != 0:
            raise TargetError("the Kubernetes lab's binaries are not built yet: run scripts/setup "
                              "(or tools/build; 10-20 min the first time)")
        found = Path(answer.stdout.strip())
    missing = [b for b in BINARIES if not (found / b).is_file()]
    if missing:
        raise TargetError(f"{found} lacks {', '.join(missing)}: run tools/build")
    return found


def service_argv(plan: LabPlan, node: str, service: str) -> list[str]:
    """The command line of one Kubernetes-lab service on `node`, under the node's own hostname."""
    binary = binaries() / service
    builders = {"kube-apiserver": kc.apiserver_argv, "kube-controller-manager": kc.controller_manager_argv,
                "kube-scheduler": kc.scheduler_argv, "kwok": kc.kwok_argv}
    argv = builders[service](plan, node, binary)
    if service == kc.NODE_SERVICE and plan.defect_node("old-kernel") == node:
        # The node's kubelet on an old kernel: everything it execs (node commands, as kwok's
        # ClusterExec runs them) inherits the UNAME26 personality, as on the plain lab's host.
        argv = ["setarch", platform.machine(), "--uname-2.6", *argv]
    return own_hostname(node, argv)


def own_hostname(node: str, argv: list[str]) -> list[str]:
    """`argv` in a UTS namespace named `node`: each apiserver then has its own identity lease,
    leader-election holders read `cp1_<uuid>`, exec'd node commands see the node's name. Every
    step execs in place, so the tracked PID stays the daemon's."""
    return ["unshare", "--uts", "--", "sh", "-c", 'hostname "$0" && exec "$@"', node, *argv]


def write_files(plan: LabPlan) -> None:
    """PKI, kubeconfigs and config files, once per lab (a new `up` after `down` issues anew)."""
    pki = kc.pki_dir(plan)
    if (pki / "ca.crt").exists():
        return
    ca = kube_pki.CertificateAuthority()
    ca.issued.write(pki, "ca")
    dns, ips = kc.serving_names(plan)
    ca.issue("kube-apiserver", server=True, client=False, dns=dns, ips=ips).write(pki, "apiserver")
    kubelet_client = ca.issue("kube-apiserver-kubelet-client", groups=("system:masters",))
    kubelet_client.write(pki, "apiserver-kubelet-client")
    keys = kube_pki.service_account_keys()
    (pki / "sa.pub").write_bytes(keys.cert_pem)
    kube_pki.write_private(pki / "sa.key", keys.key_pem)
    stages = subprocess.run([str(binaries() / "kwok-stages")], capture_output=True, text=True,
                            check=True, timeout=10).stdout
    directory = kc.kube_dir(plan)
    (directory / "admission.yaml").write_text(kc.admission_config())
    admin = kube_pki.kubeconfig(server=kc.vip_url(plan), ca_pem=ca.cert_pem, user="kubernetes-admin",
                                client=ca.issue("kubernetes-admin", groups=("system:masters",)))
    kube_pki.write_private(kc.admin_kubeconfig(plan), admin.encode())
    for component in ("kube-controller-manager", "kube-scheduler"):
        user = f"system:{component}"
        client = ca.issue(user)
        for node in plan.controlplane:
            kubeconfig = kube_pki.kubeconfig(server=kc.api_url_for(plan, node.name), ca_pem=ca.cert_pem,
                                             user=user, client=client)
            kube_pki.write_private(kc.component_kubeconfig(plan, f"{component}-{node.name}"),
                                   kubeconfig.encode())
    for node in plan.nodes:  # each kwok is its node's kubelet: system:node:<name>, serving its IP
        user = f"system:node:{node.name}"
        server = kc.api_url_for(plan, node.name)
        kubeconfig = kube_pki.kubeconfig(server=server, ca_pem=ca.cert_pem, user=user,
                                         client=ca.issue(user, groups=("system:nodes",)))
        kube_pki.write_private(kc.component_kubeconfig(plan, f"kwok-{node.name}"), kubeconfig.encode())
        ca.issue(node.name, server=True, client=False, dns=(node.name,),
                 ips=(node.address,)).write(pki, f"kubelet-{node.name}")
        slow = plan.defect_node("kubelet-slow") == node.name
        own = kc.slowed(stages, kc.SLOW_KUBELET_DELAY_MS) if slow else stages
        kc.kwok_config_path(plan, node.name).write_text(kc.kwok_config(own, node_envs(plan, node.name)))


def node_envs(plan: LabPlan, node: str) -> dict[str, str]:
    """Environment of the commands exec'd on `node`: a skewed clock under `clock-skew`."""
    if plan.defect_node("clock-skew") != node:
        return {}
    from harness.targets.lab.target import CLOCK_SKEW_S

    return skewed_env(CLOCK_SKEW_S)


def readyz(plan: LabPlan, host: str, timeout_s: float = 1.0) -> bool:
    """Whether the apiserver at `host` answers `/readyz` with 200 (anonymous, as keepalived asks)."""
    import http.client

    context = ssl.create_default_context(cafile=str(kc.pki_dir(plan) / "ca.crt"))
    connection = http.client.HTTPSConnection(host, kc.API_PORT, timeout=timeout_s, context=context)
    try:
        connection.request("GET", "/readyz")
        return connection.getresponse().status == 200
    except (OSError, ssl.SSLError, http.client.HTTPException):
        return False
    finally:
        connection.close()


class KubernetesControlPlane:
    """The `LabComponent` (see components.py)."""

    name = "kubernetes"

    def wanted(self, plan: LabPlan) -> bool:
        return plan.kube

    def up(self, lab: Lab) -> str:
        from harness.targets.lab.kube_objects import bootstrap, wait_nodes_ready

        plan = lab.plan
        binaries()
        write_files(plan)
        for node in plan.controlplane:
            if "kube-apiserver" in plan.services(node.name):
                lab.start_service(node.name, "kube-apiserver")
        # The VIP follows readiness: keepalived started already and takes it once /readyz passes.
        # Without a served VIP (a VIP defect) the lab's own clients use a node's apiserver.
        api_host = kc.api_host_for(plan)
        wait_until(lambda: (readyz(plan, api_host), "not ready"), timeout_s=60, interval_s=0.2,
                   what=f"the Kubernetes lab: the API at {kc.api_url_for(plan)}/readyz")
        for node in plan.controlplane:
            for service in ("kube-controller-manager", "kube-scheduler"):
                if service in plan.services(node.name):
                    lab.start_service(node.name, service)
        api = bootstrap(plan, [REFERENCE / path for path in CRDS])
        kubelets = [n.name for n in plan.nodes if kc.NODE_SERVICE in plan.services(n.name)]
        for name in kubelets:
            lab.start_service(name, kc.NODE_SERVICE)
        ready = wait_nodes_ready(api, kubelets, timeout_s=30)
        return f"{ready}/{len(plan.nodes)} nodes Ready; kubeconfig {kc.admin_kubeconfig(plan)}"

    def down(self, lab: Lab) -> None:
        """The services go with the nodes' processes in `Lab.down`; files with the state dir."""

    def running(self, lab: Lab) -> bool:
        plan = lab.plan
        return all(lab.service_pid(n.name, s) is not None for n in plan.nodes
                   for s in plan.services(n.name) if s in (*kc.KUBE_SERVICES, kc.NODE_SERVICE))


def load_crds(paths: list[Path]) -> list[dict[str, object]]:
    return [doc for path in paths for doc in yaml.safe_load_all(path.read_text()) if doc]
