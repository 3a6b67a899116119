"""The Kubernetes lab's plan (pure): which services run where, their command lines, keepalived
in front of the apiservers, the PKI's names, PodSecurity defaults, and reading exec statuses."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from cryptography import x509

from harness.profile import load_profile
from harness.targets.kubernetes.api_workloads import exit_code_from_status
from harness.targets.lab import kube_config as kc
from harness.targets.lab import kube_pki
from harness.targets.lab.config import LabPlan, etcd_argv, keepalived_conf, make_plan

REPO = Path(__file__).resolve().parents[2]
PROFILE = load_profile(REPO / "profiles" / "lab-kubernetes.yaml")


def plan_with(*defects: str) -> LabPlan:
    lab = PROFILE.lab.model_copy(update={"defects": list(defects)})
    return make_plan(PROFILE.model_copy(update={"lab": lab}))


def test_services_per_node_in_start_order() -> None:
    plan = make_plan(PROFILE)
    assert plan.kube and plan.port == 6443 and plan.etcd_port == 2379
    assert plan.services("cp1") == ("etcd", "kube-apiserver", "keepalived", "kube-controller-manager",
                                    "kube-scheduler", "kwok")
    assert plan.services("wk1") == ("kwok",)
    down = plan_with("apiserver-down:cp2")
    assert "kube-apiserver" not in down.services("cp2")
    assert "kube-apiserver" in down.services("cp1")


def test_etcd_keeps_its_own_port_behind_an_api_on_6443() -> None:
    argv = etcd_argv(make_plan(PROFILE), "cp2")
    assert "http://0.0.0.0:2379" in argv and "http://198.18.0.12:2379" in argv


def test_apiserver_uses_its_own_etcd_member_and_talos_like_admission() -> None:
    plan = make_plan(PROFILE)
    argv = kc.apiserver_argv(plan, "cp3", Path("/bin/kube-apiserver"))
    assert "--etcd-servers=http://198.18.0.13:2379" in argv
    for flag in ("--authorization-mode=Node,RBAC", "--enable-admission-plugins=NodeRestriction",
                 "--allow-privileged=true", "--secure-port=6443", "--advertise-address=198.18.0.13",
                 "--service-account-issuer=https://198.18.0.10:6443"):
        assert flag in argv
    pod_security = yaml.safe_load(kc.admission_config())["plugins"][0]["configuration"]
    assert pod_security["defaults"]["enforce"] == "baseline"
    assert pod_security["exemptions"]["namespaces"] == ["kube-system"]


def test_keepalived_tracks_the_local_apiserver_liveness_and_readiness() -> None:
    conf = keepalived_conf(make_plan(PROFILE), "cp1")
    assert "https://198.18.0.11:6443/livez" in conf and "https://198.18.0.11:6443/readyz" in conf
    assert "--cacert /run/cluster-harness/lab-kubernetes/kubernetes/pki/ca.crt" in conf
    assert "fall 3" in conf and "fall 2" in conf
    plain = keepalived_conf(make_plan(load_profile(REPO / "profiles" / "lab.yaml")), "cp1")
    assert "http://198.18.0.11:2379/health" in plain and "fall 5" in plain


def test_kwok_is_the_nodes_kubelet_on_its_own_address() -> None:
    plan = make_plan(PROFILE)
    argv = kc.kwok_argv(plan, "wk1", Path("/bin/kwok"))
    assert "--manage-single-node=wk1" in argv and "--node-ip=198.18.0.14" in argv
    assert "--server-address=198.18.0.14:10250" in argv
    assert "--node-lease-duration-seconds=40" in argv
    docs = list(yaml.safe_load_all(kc.kwok_config("---\nkind: Stage\n", {"FAKETIME": "+30s"})))
    [cluster_exec] = [d for d in docs if d["kind"] == "ClusterExec"]
    assert cluster_exec["spec"]["execs"] == [{"local": {"envs": [{"name": "FAKETIME", "value": "+30s"}]}}]
    # The preflight's pods complete; a node's other pods (debug pods for exec) keep running.
    [preflight] = [d for d in docs if d.get("metadata", {}).get("name") == "lab-preflight-pod-completes"]
    selects = preflight["spec"]["selector"]["matchExpressions"]
    assert {"key": '.metadata.labels["harness/role"]', "operator": "In", "values": ["preflight"]} in selects
    template = preflight["spec"]["next"]["statusTemplate"]
    assert "phase: Succeeded" in template and "exitCode: 0" in template


def test_the_labs_own_clients_use_the_vip_unless_a_defect_leaves_it_unserved() -> None:
    healthy = make_plan(PROFILE)
    assert {kc.api_url_for(healthy, n.name) for n in healthy.nodes} == {"https://198.18.0.10:6443"}
    assert kc.api_url_for(healthy) == "https://198.18.0.10:6443"
    assert kc.api_url_for(plan_with("vip-stuck")) == "https://198.18.0.10:6443"  # held, and served
    for defect in ("vip-unassigned", "vip-on-worker"):  # as KubePrism: the node's own, else cp1's
        plan = plan_with(defect)
        assert [kc.api_url_for(plan, n) for n in ("cp1", "cp2", "cp3", "wk1")] == [
            "https://198.18.0.11:6443", "https://198.18.0.12:6443", "https://198.18.0.13:6443",
            "https://198.18.0.11:6443"]
        assert kc.api_url_for(plan) == "https://198.18.0.11:6443"
    no_cp1 = plan_with("vip-unassigned", "apiserver-down:cp1")
    assert kc.api_url_for(no_cp1, "cp1") == kc.api_url_for(no_cp1, "wk1") == "https://198.18.0.12:6443"
    kubeconfigs = {kc.controller_manager_argv(no_cp1, n, Path("kcm"))[1] for n in ("cp1", "cp2")}
    assert len(kubeconfigs) == 2  # one per node: each names its own server


def test_kubelet_down_leaves_one_node_without_its_kwok() -> None:
    lab = PROFILE.lab.model_copy(update={"defects": ["kubelet-down:wk1"]})
    profile = PROFILE.model_copy(update={"lab": lab})
    plan = make_plan(profile)
    assert "kwok" not in plan.services("wk1")
    assert all("kwok" in plan.services(n) for n in ("cp1", "cp2", "cp3"))
    node = kc.node_object(plan, "cp1")
    assert node["metadata"]["labels"]["node-role.kubernetes.io/control-plane"] == ""  # type: ignore[index]


def test_serving_certificate_names_the_vip_and_every_controlplane_address() -> None:
    dns, ips = kc.serving_names(make_plan(PROFILE))
    ca = kube_pki.CertificateAuthority()
    issued = ca.issue("kube-apiserver", server=True, client=False, dns=dns, ips=ips)
    cert = x509.load_pem_x509_certificate(issued.cert_pem)
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    addresses = {str(a) for a in names.get_values_for_type(x509.IPAddress)}
    assert {"198.18.0.10", "198.18.0.11", "198.18.0.12", "198.18.0.13", "198.19.240.1"} <= addresses
    assert "kubernetes.default.svc" in names.get_values_for_type(x509.DNSName)
    assert cert.issuer == ca.cert.subject


def test_exec_exit_codes_from_a_kubelet_and_from_kwok() -> None:
    assert exit_code_from_status('{"metadata":{},"status":"Success"}') == 0
    kubelet = ('{"status":"Failure","reason":"NonZeroExitCode","details":{"causes":'
               '[{"reason":"ExitCode","message":"3"}]}}')
    assert exit_code_from_status(kubelet) == 3
    kwok = ('{"status":"Failure","reason":"InternalError","message":"Internal error occurred: '
            'error executing command in container: cmd wait: /bin/sh -c exit 7: exit status 7"}')
    assert exit_code_from_status(kwok) == 7
    assert exit_code_from_status("") is None
    assert exit_code_from_status('{"status":"Failure","message":"container not found"}') is None


def test_old_kernel_runs_that_nodes_kubelet_under_the_uname26_personality(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.targets.lab import kube

    monkeypatch.setattr(kube, "binaries", lambda: Path("/opt/kube/bin"))
    plan = plan_with("old-kernel:cp2")
    old = kube.service_argv(plan, "cp2", "kwok")
    # setarch execs in place after the UTS namespace's hostname: the tracked PID stays kwok's.
    tail = old[old.index("setarch"):]
    assert tail[2:4] == ["--uname-2.6", "/opt/kube/bin/kwok"], old
    assert old[:2] == ["unshare", "--uts"]
    assert "setarch" not in kube.service_argv(plan, "cp1", "kwok")
    assert "setarch" not in kube.service_argv(plan, "cp2", "kube-apiserver")
