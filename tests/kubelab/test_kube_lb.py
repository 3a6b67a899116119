"""LoadBalancer Services through the kubernetes target on the Kubernetes lab: an address from the
test CiliumLoadBalancerIPPool, and the announcer found by Cilium's lease the way it is found on
a cluster, checked against the lab's ground truth (which node has the address on its interface).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime

import pytest
from kubernetes import client as k8s
from kubernetes.client.rest import ApiException

from harness.results import new_run_id
from harness.targets.kubernetes.target import KubernetesTarget
from harness.targets.lab import LabTarget, lb
from harness.targets.lab.kube_objects import admin_client
from tests.kubelab.conftest import kube_profile

pytestmark = pytest.mark.kubelab


@pytest.fixture
def target(healthy_kube_lab: LabTarget) -> Iterator[KubernetesTarget]:
    found = KubernetesTarget(kube_profile(), run_id=new_run_id())
    found.prepare()
    yield found
    found.release()


def eventually(condition: Callable[[], bool], timeout_s: float) -> float:
    """Seconds until `condition` held; fails the test at the deadline."""
    began = time.monotonic()
    while not condition():
        assert time.monotonic() - began < timeout_s, f"not within {timeout_s:g} s"
        time.sleep(0.1)
    return time.monotonic() - began


def renew_time(leases: k8s.CoordinationV1Api, name: str) -> datetime:
    found: datetime = leases.read_namespaced_lease(name, "kube-system").spec.renew_time
    return found


def lease_gone(leases: k8s.CoordinationV1Api, name: str) -> bool:
    try:
        leases.read_namespaced_lease(name, "kube-system")
    except ApiException as error:
        if error.status != 404:
            raise
        return True
    return False


def test_the_announcer_is_the_lease_holder_and_moves_with_the_address(
        target: KubernetesTarget, healthy_kube_lab: LabTarget) -> None:
    lab, network = healthy_kube_lab, target.network
    leases = k8s.CoordinationV1Api(admin_client(lab.plan))
    with network.loadbalancer(name="web") as balancer:
        assert balancer.ip in [str(a) for a in target.profile.loadbalancer_pool.addresses()]
        truth = lb.holders(lab.plan, balancer.ip)
        assert len(truth) == 1
        assert network.announcers(balancer) == truth
        lease = f"cilium-l2announce-{network.real_namespace('lb-web')}-web"
        first_renewal = renew_time(leases, lease)
        eventually(lambda: renew_time(leases, lease) > first_renewal, timeout_s=5.0)  # renewed

        before = truth[0]
        undo = lab.faults.power_off(before)
        try:
            moved_after = eventually(lambda: network.announcers(balancer) == lb.holders(lab.plan, balancer.ip)
                                     and network.announcers(balancer) not in ([], [before]), timeout_s=15.0)
            print(f"lease holder {before} -> {network.announcers(balancer)[0]} in {moved_after:.2f} s")
        finally:
            undo()
        assert leases.read_namespaced_lease(lease, "kube-system").spec.lease_transitions >= 1
    # The test pool and L2 policy the run created are gone (was a fake-API test) ...
    custom = k8s.CustomObjectsApi(admin_client(lab.plan))
    for plural in ("ciliumloadbalancerippools", "ciliuml2announcementpolicies"):
        left = custom.list_cluster_custom_object("cilium.io", "v2alpha1", plural)["items"]
        assert [o["metadata"]["name"] for o in left] == [], plural
    # ... and the Service went with its namespace: the announcer and its lease go too.
    eventually(lambda: not lb.load_services(lab.plan), timeout_s=10.0)
    eventually(lambda: lease_gone(leases, lease), timeout_s=5.0)  # deleted right after the announcer
    assert lb.holders(lab.plan, balancer.ip) == []


def test_an_announcer_that_stops_renewing_holds_nothing(
        target: KubernetesTarget, healthy_kube_lab: LabTarget) -> None:
    lab, network = healthy_kube_lab, target.network
    with network.loadbalancer(name="quiet") as balancer:
        (holder,) = network.announcers(balancer)
        record = next(s for s in lb.load_services(lab.plan) if s.ip == balancer.ip)
        lb.stop_service(lab.plan, record)  # the announcer goes: nobody renews the lease
        # Cilium's lease lasts 15 s after the last renewal; then the holder is no announcer.
        expired_after = eventually(lambda: network.announcers(balancer) == [], timeout_s=20.0)
        assert expired_after > 10.0, "the lease should outlive its last renewal by about 15 s"
        print(f"{holder}'s lease expired {expired_after:.1f} s after its announcer stopped")
