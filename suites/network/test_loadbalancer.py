"""A LoadBalancer service: IP from the pool, announced by exactly one node, answering the
workstation, every backend taking its share under load (RPS and latency recorded)."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from ipaddress import IPv4Address

import pytest

from harness.plugin import Depth, Measure
from harness.profile import Profile
from harness.targets.base import Target
from harness.targets.network import LoadBalancer
from harness.workloads.http_load import run_load

BACKENDS = 3
LOAD_USERS = 12  # keep-alive connections: per-connection balancing needs several per backend
LOAD_SECONDS = (3.0, 10.0)
"""Locust's run: the acceptance run's length, and the full one under `-m benchmark`."""


@pytest.fixture(scope="module")
def balancer(target: Target) -> Iterator[LoadBalancer]:
    with target.network.loadbalancer(backends=BACKENDS) as lb:
        yield lb


def _get(lb: LoadBalancer) -> str:
    # http.client, not urllib: no proxy from the environment may ever see lab traffic.
    connection = http.client.HTTPConnection(lb.ip, lb.port, timeout=2.0)
    try:
        connection.request("GET", "/")
        response = connection.getresponse()
        assert response.status == 200, f"GET {lb.url}/ answered {response.status}"
        return response.read().decode().strip()
    finally:
        connection.close()


def test_lb_ip_from_pool(balancer: LoadBalancer, profile: Profile) -> None:
    pool = profile.loadbalancer_pool.addresses()
    assert IPv4Address(balancer.ip) in pool, f"{balancer.ip} is not in the profile's pool"


def test_lb_announced_by_exactly_one_node(target: Target, balancer: LoadBalancer) -> None:
    announcers = target.network.announcers(balancer)
    assert len(announcers) == 1, f"{balancer.ip} is announced by {announcers or 'nobody'}"


def test_lb_answers_from_workstation(balancer: LoadBalancer) -> None:
    names = {b.name for b in balancer.backends}
    try:
        answer = _get(balancer)
    except OSError as error:
        pytest.fail(f"{balancer.url} does not answer: {error}")
    assert answer in names, f"{balancer.url} answered {answer!r}, not a backend ({sorted(names)})"


@pytest.mark.benchmark
def test_every_backend_gets_traffic(balancer: LoadBalancer, measure: Measure, depth: Depth) -> None:
    result = run_load(url=balancer.url, users=LOAD_USERS, seconds=depth.pick(*LOAD_SECONDS))
    measure("network.lb.rps", result.rps, "req/s", higher_is_better=True, backends=BACKENDS)
    for name, value in (("p50", result.p50_ms), ("p95", result.p95_ms), ("p99", result.p99_ms)):
        measure(f"network.lb.latency.{name}", value, "ms", higher_is_better=False)
    for backend in balancer.backends:
        measure("network.lb.backend_share", result.share(backend.name), "fraction",
                higher_is_better=True, backend=backend.name)
    assert result.requests > 0, "the load generator completed no request"
    assert result.failures == 0, f"{result.failures} of {result.requests} requests failed"
    idle = sorted(b.name for b in balancer.backends if result.per_backend.get(b.name, 0) == 0)
    assert not idle, f"backends {idle} got no traffic (answers: {result.per_backend})"
