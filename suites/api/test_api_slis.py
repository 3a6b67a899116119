"""Kubernetes API service levels, measured as kube-burner measures them: API call latency per
verb under concurrent clients, and pod startup latency per node, judged against Kubernetes' own
SLOs (or the profile's tighter limits).

The load: `CLIENTS` clients, each with its own connection, cycle create -> get -> list ->
delete on ConfigMaps of their own in the run namespace for `LOAD_S` seconds (at most
`MAX_CYCLES` cycles each). Every call is one attempt and is timed from request to answer.
"""

from __future__ import annotations

import statistics

import pytest

from harness.metrics import API_LOAD_P50, API_LOAD_P99, API_LOAD_RATE, POD_STARTUP_MAX, POD_STARTUP_P50
from harness.plugin import Measure
from harness.profile import Profile
from harness.targets.base import Target, TargetError
from harness.workloads.apiload import VERBS, LoadResult, run_load

CLIENTS = 8
LOAD_S = 10.0
MAX_CYCLES = 300
STARTUPS_PER_NODE = 3
STARTUP_TIMEOUT_S = 60.0


@pytest.fixture(scope="module")
def api_load(target: Target) -> LoadResult:
    """One load for the module: each verb's check reads its own figures from it."""
    return run_load(target.api_slis().clients(CLIENTS), prefix="load", duration_s=LOAD_S,
                    max_cycles=MAX_CYCLES)


@pytest.mark.parametrize("verb", VERBS)
def test_api_call_latency_under_load(api_load: LoadResult, verb: str, profile: Profile,
                                     measure: Measure) -> None:
    figures = api_load.verb(verb)
    tags = {"verb": verb, "clients": CLIENTS}
    measure.figure(API_LOAD_RATE, figures.calls / api_load.duration_s, **tags)
    assert figures.calls > 0, f"no {verb} call was made in {api_load.duration_s:.1f} s"
    assert figures.errors == 0, (f"{figures.errors} of {figures.calls} {verb} calls failed "
                                 f"under {CLIENTS} clients, first: {figures.first_error}")
    assert figures.p50_ms is not None and figures.p99_ms is not None
    measure.figure(API_LOAD_P50, figures.p50_ms, **tags)
    measure.figure(API_LOAD_P99, figures.p99_ms, **tags)
    expect = profile.expectations
    limit = expect.api_list_p99_max_ms if verb == "list" else expect.api_call_p99_max_ms
    assert figures.p99_ms <= limit, (
        f"{verb} p99 {figures.p99_ms:.0f} ms under {CLIENTS} clients exceeds {limit:g} ms "
        f"(p50 {figures.p50_ms:.0f} ms, {figures.calls} calls, {api_load.calls_per_s:.0f} calls/s)")


def test_pod_startup_latency(target: Target, any_node: str, profile: Profile, measure: Measure) -> None:
    try:
        latencies = target.api_slis().pod_startup_s(any_node, STARTUPS_PER_NODE, STARTUP_TIMEOUT_S)
    except TargetError as error:
        pytest.fail(f"pods on {any_node}: {error}")
    slowest, median = max(latencies), statistics.median(latencies)
    measure.figure(POD_STARTUP_MAX, slowest, node=any_node)
    measure.figure(POD_STARTUP_P50, median, node=any_node)
    limit = profile.expectations.pod_startup_max_s
    assert slowest <= limit, (f"a pod on {any_node} took {slowest:.2f} s from create to Ready, over "
                              f"{limit:g} s (median {median:.2f} s of {len(latencies)})")
