"""The Kubernetes lab's LB controller, its pure parts: pool addresses as Cilium's LB-IPAM reads
them, selectors as Cilium reads a missing one, the plan handed to the controller process, the
kubernetes target's reading of a Lease (a holder that stopped renewing holds nothing), and the
controller process leaving nothing behind when `lab down` stops it."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from harness.profile import load_profile
from harness.targets.kubernetes.netmanifests import lease_holder, lease_name
from harness.targets.lab import kube_config as kc
from harness.targets.lab import kube_lb, labs_here
from harness.targets.lab.config import make_plan

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 12, 2, 12, 0, 0, tzinfo=UTC)


def pool(*blocks: dict[str, str], **spec: object) -> dict[str, object]:
    return {"metadata": {"name": "p"}, "spec": {"blocks": list(blocks), **spec}}


def test_pool_blocks_start_stop_whole_and_cidrs_without_network_and_broadcast() -> None:
    assert kube_lb.pool_addresses(pool({"start": "198.18.0.100", "stop": "198.18.0.102"})) == [
        "198.18.0.100", "198.18.0.101", "198.18.0.102"]
    assert kube_lb.pool_addresses(pool({"cidr": "198.18.0.96/30"})) == ["198.18.0.97", "198.18.0.98"]
    assert kube_lb.pool_addresses(pool({"cidr": "198.18.0.96/30"}, allowFirstLastIPs="Yes")) == [
        "198.18.0.96", "198.18.0.97", "198.18.0.98", "198.18.0.99"]
    assert kube_lb.pool_addresses(pool({"cidr": "198.18.0.96/31"})) == ["198.18.0.96", "198.18.0.97"]
    assert kube_lb.pool_addresses(pool({"start": "198.18.0.100"})) == ["198.18.0.100"]
    assert kube_lb.pool_addresses(pool({"cidr": "198.18.0.96/30"}, disabled=True)) == []
    # Pools written before Cilium 1.15 name their blocks `cidrs`.
    assert kube_lb.pool_addresses({"spec": {"cidrs": [{"cidr": "198.18.0.8/32"}]}}) == ["198.18.0.8"]


def test_a_missing_selector_selects_everything_an_invalid_one_nothing() -> None:
    assert kube_lb.selects(None, {})
    assert kube_lb.selects({}, {"a": "b"})
    assert kube_lb.selects({"matchLabels": {"a": "b"}}, {"a": "b", "c": "d"})
    assert not kube_lb.selects({"matchLabels": {"a": "b"}}, {"a": "x"})
    assert kube_lb.selects({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["x"]}]}, {})
    assert not kube_lb.selects({"matchExpressions": [{"key": "a", "operator": "Near"}]}, {"a": "b"})


def test_the_plan_reaches_the_controller_process_unchanged() -> None:
    profile = load_profile(REPO / "profiles" / "lab-kubernetes.yaml")
    lab = profile.lab.model_copy(update={"defects": ["announcer-stuck"]})
    plan = make_plan(profile.model_copy(update={"lab": lab}))
    assert labs_here.plan_from_json(labs_here.plan_to_json(plan)) == plan


def test_a_lease_is_held_while_renewed_within_its_duration() -> None:
    def lease(renewed: datetime | None, holder: str | None = "wk1") -> dict[str, object]:
        spec: dict[str, object] = {"holderIdentity": holder, "leaseDurationSeconds": 15}
        if renewed is not None:
            spec["renewTime"] = renewed.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return {"spec": spec}

    assert lease_holder(lease(NOW - timedelta(seconds=14)), NOW) == "wk1"
    assert lease_holder(lease(NOW - timedelta(seconds=16)), NOW) is None
    assert lease_holder(lease(None), NOW) == "wk1"  # never renewed: no clock to judge it by
    assert lease_holder(lease(NOW, holder=""), NOW) is None  # released
    assert lease_holder({}, NOW) is None
    assert lease_name("ns", "web") == "cilium-l2announce-ns-web"


# The controller process as `lab up` starts it, with its API passes stubbed out: nothing here
# sends traffic anywhere.
CONTROLLER = """
import sys
from harness.targets.lab import kube_lb
kube_lb.Controller.reconcile = lambda self: None
sys.exit(kube_lb.main(sys.argv[1:]))
"""


def fake_pem(kind: str, body: str) -> str:
    return base64.b64encode(f"-----BEGIN {kind}-----\n{body}\n-----END {kind}-----\n".encode()).decode()


def test_the_controller_stopped_by_sigterm_leaves_no_key_or_certificate_in_tmpdir(tmp_path: Path) -> None:
    profile = load_profile(REPO / "profiles" / "lab-kubernetes.yaml")
    lab = profile.lab.model_copy(update={"state_dir": tmp_path / "state"})
    plan = make_plan(profile.model_copy(update={"lab": lab}))
    kc.admin_kubeconfig(plan).parent.mkdir(parents=True)
    cluster = {"server": "https://198.18.0.10:6443",
               "certificate-authority-data": fake_pem("CERTIFICATE", "Q0E=")}
    user = {"client-certificate-data": fake_pem("CERTIFICATE", "Y2VydA=="),
            "client-key-data": fake_pem("PRIVATE KEY", "a2V5")}
    kc.admin_kubeconfig(plan).write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "lab",
        "clusters": [{"name": "lab", "cluster": cluster}], "users": [{"name": "admin", "user": user}],
        "contexts": [{"name": "lab", "context": {"cluster": "lab", "user": "admin"}}],
    }))
    labs_here.record(plan)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    process = subprocess.Popen([sys.executable, "-c", CONTROLLER, str(plan.state_dir / labs_here.PLAN_JSON)],
                               cwd=REPO, env={**os.environ, "TMPDIR": str(scratch)})
    try:
        deadline = time.monotonic() + 30
        while len(list(scratch.iterdir())) < 3 and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        written = sorted(p.read_text()[:20] for p in scratch.iterdir())
        assert written == ["-----BEGIN CERTIFICA", "-----BEGIN CERTIFICA", "-----BEGIN PRIVATE K"]
        process.send_signal(signal.SIGTERM)  # as `lab down` stops it (procs.stop)
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()
        process.wait()
    assert list(scratch.iterdir()) == []
