"""Every manifest the kubernetes target builds passes kubernetes-validate (strict, 1.32);
a deliberately broken one is caught."""

from __future__ import annotations

from typing import Any

import kubernetes_validate
import pytest

from harness.targets.kubernetes import linkscripts, manifests

RUN = "20250101T000000Z-abc123"
VERSION = "1.32"

BUILT: dict[str, dict[str, Any]] = {
    "namespace": manifests.namespace(RUN),
    "configmap": manifests.configmap("roundtrip-vip-0", run_id=RUN, data={"value": "x"}),
    "pod": manifests.pod(
        "probe-kcp1",
        run_id=RUN,
        image="registry.k8s.io/e2e-test-images/agnhost:2.52",
        command=["/agnhost", "netexec"],
        node="kcp1",
    ),
    "job": manifests.job(
        "iperf3-kcp1",
        run_id=RUN,
        image="docker.io/networkstatic/iperf3:latest",
        command=["iperf3", "-c", "x"],
        node="kcp1",
        deadline_s=120,
    ),
    "node-debug": manifests.node_debug_pod("kcp1", run_id=RUN, image="docker.io/library/alpine:3.20"),
    "preflight": manifests.preflight_pod(
        "kwk1", run_id=RUN, image="docker.io/library/alpine:3.20", command=["true"]
    ),
    "partition": linkscripts.partition_pod(
        "kcp2", address="198.18.0.12", run_id=RUN, image="docker.io/nicolaka/netshoot:v0.13",
        lead_s=3, heal_after_s=10
    ),
    "shape": linkscripts.shape_pod(
        "kcp2", address="198.18.0.12", run_id=RUN, image="docker.io/nicolaka/netshoot:v0.13",
        rate_mbit=100, max_s=600
    ),
}


def _validate(obj: dict[str, Any]) -> None:
    kubernetes_validate.validate(obj, VERSION, strict=True)


@pytest.mark.parametrize("name", sorted(BUILT))
def test_manifest_is_valid(name: str) -> None:
    obj = BUILT[name]
    _validate(obj)
    assert manifests.DNS1123.match(obj["metadata"]["name"])
    assert obj["metadata"]["labels"][manifests.MANAGED_BY_LABEL] == manifests.MANAGED_BY


def test_unknown_field_is_caught() -> None:
    broken = manifests.configmap("cm", run_id=RUN, data={})
    broken["spec"] = {"oops": True}
    with pytest.raises(kubernetes_validate.ValidationError):
        _validate(broken)


def test_wrong_type_is_caught() -> None:
    broken = manifests.job("j", run_id=RUN, image="i", command=["x"], node="n", deadline_s=1)
    broken["spec"]["backoffLimit"] = "zero"
    with pytest.raises(kubernetes_validate.ValidationError):
        _validate(broken)


def test_namespace_name_is_dns1123_from_any_run_id() -> None:
    assert manifests.namespace_name(RUN) == "harness-20250101t000000z-abc123"
    assert manifests.DNS1123.match(manifests.namespace_name("A_b.C" * 30))
    assert len(manifests.namespace_name("x" * 100)) <= 63
