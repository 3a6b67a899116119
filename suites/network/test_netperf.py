"""The network measured as k8s-netperf measures it, on one path of each kind across the switch:
node to node, pod to pod on different nodes, and pod to a ClusterIP-like service in front of that
same far pod (`Network.service_of`; the profile's first and last node).

- TCP stream: goodput over 1 and `STREAMS` parallel connections (iperf3 `--parallel`);
- UDP stream: offered at the profile's `udp_offered_fraction` of the link's goodput ceiling,
  the receiver's goodput, loss and jitter (iperf3 `--udp`);
- TCP request/response: round-trip p50 and p99 and transactions per second with one message in
  flight (sockperf ping-pong, netperf's TCP_RR).

Each figure is the median of `SAMPLES` runs of `SECONDS`, every run kept in the run file
(`samples`) for its spread. TCP goodput is judged like the throughput suite's, against the
profile's `min_link_fraction` of min(link roofline, the twin path measured at the module's
start); UDP against `max_udp_loss_pct`; round trips against `round_trip_p99_max_ms`. Measured
only at full depth (`-m benchmark`): about a minute on the lab, too long for the acceptance run,
whose goodput pairs (`test_throughput.py`) cover every link.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import TypeVar

import pytest

from harness.metrics import (
    NETPERF_PATHS,
    ROUND_TRIP_P50,
    ROUND_TRIP_P99,
    ROUND_TRIP_RATE,
    TCP_STREAM_GOODPUT,
    TCP_STREAM_RETRANSMITS,
    UDP_STREAM_GOODPUT,
    UDP_STREAM_JITTER,
    UDP_STREAM_LOSS,
)
from harness.plugin import Measure
from harness.profile import Profile
from harness.targets.base import Target
from harness.targets.network import Endpoint, NotMeasurable, Pod, PodSpec
from harness.workloads.iperf3 import Iperf3Result
from harness.workloads.sockperf import RoundTrips

SAMPLES = 3
SECONDS = 2.0
STREAMS = 4
PATHS = NETPERF_PATHS

pytestmark = [pytest.mark.benchmark, pytest.mark.full_depth]
T = TypeVar("T")


@dataclass(frozen=True)
class Path:
    kind: str
    client: Endpoint
    server: Endpoint
    label: str
    """`cp1->wk1`: the nodes the path runs between."""


@pytest.fixture(scope="module")
def netperf_pods(target: Target) -> Iterator[tuple[Pod, Pod]]:
    """A pod on the first node and one on the last, made when the first pod path needs them."""
    nodes = [node.name for node in target.nodes()]
    specs = [PodSpec(name=f"netperf-{n}", namespace="netperf", node=n, labels={"app": "netperf"})
             for n in (nodes[0], nodes[-1])]
    with target.network.pods(specs) as made:
        by_node = {p.node: p for p in made}
        yield by_node[nodes[0]], by_node[nodes[-1]]


@pytest.fixture(scope="module")
def path(request: pytest.FixtureRequest, target: Target, kind: str) -> Iterator[Path]:
    """The path of `kind`, or a skip with the target's sentence why it cannot set that one up.

    `kind` is a module-scoped parameter: pytest runs every node-to-node test first, before the
    pods and the service exist. On the lab the service's NAT rules put conntrack on every packet
    of the nodes' own path too, +5 % on a round trip (measured 2026-12-06)."""
    nodes = [node.name for node in target.nodes()]
    label = f"{nodes[0]}->{nodes[-1]}"
    if kind == "node_to_node":
        yield Path(kind, nodes[0], nodes[-1], label)
        return
    first, last = request.getfixturevalue("netperf_pods")
    if kind == "pod_to_pod":
        yield Path(kind, first, last, label)
        return
    with ExitStack() as stack:
        try:
            service = stack.enter_context(target.network.service_of(last))
        except NotMeasurable as error:
            pytest.skip(str(error))
        yield Path(kind, first, service, label)


@pytest.fixture(scope="module")
def tcp_bound(target: Target, profile: Profile) -> tuple[float, str]:
    """min(link roofline, the twin path now) and how it was set: the bound TCP goodput meets."""
    ceiling = profile.switch.goodput_mbit
    twin = target.network.link_twin(seconds=SECONDS)
    if twin is None or twin.goodput_mbit >= ceiling:
        return ceiling, f"{ceiling:g}"
    return twin.goodput_mbit, f"the twin path's {twin.goodput_mbit:.0f}"


def _repeat(run: Callable[[], T]) -> list[T]:
    return [run() for _ in range(SAMPLES)]


def _spread(values: list[float], unit: str) -> str:
    return f"{SAMPLES} runs: " + ", ".join(f"{v:.0f}" for v in values) + f" {unit}"


@pytest.mark.parametrize("streams", [1, STREAMS], ids=["1-stream", f"{STREAMS}-streams"])
@pytest.mark.parametrize("kind", PATHS, scope="module")
def test_tcp_stream(target: Target, profile: Profile, measure: Measure, path: Path,
                    tcp_bound: tuple[float, str], kind: str, streams: int) -> None:
    runs: list[Iperf3Result] = _repeat(lambda: target.network.iperf3(
        client=path.client, server=path.server, seconds=SECONDS, streams=streams))
    goodput = [r.goodput_mbit for r in runs]
    median = statistics.median(goodput)
    tags = {"path": path.label, "streams": streams}
    measure.figure(TCP_STREAM_GOODPUT[kind], median, ceiling=profile.switch.goodput_mbit, samples=goodput,
                   **tags)
    measure.figure(TCP_STREAM_RETRANSMITS[kind], statistics.median(r.retransmits for r in runs),
                   samples=[r.retransmits for r in runs], **tags)
    bound, said = tcp_bound
    floor = profile.expectations.min_link_fraction * bound
    assert median >= floor, (
        f"{path.label} ({kind}, {streams} stream(s)): median {median:.0f} Mbit/s is below "
        f"{profile.expectations.min_link_fraction:g} x {said} = {floor:.0f} ({_spread(goodput, 'Mbit/s')})")


@pytest.mark.parametrize("kind", PATHS, scope="module")
def test_udp_stream(target: Target, profile: Profile, measure: Measure, path: Path,
                    kind: str) -> None:
    offered = profile.expectations.udp_offered_fraction * profile.switch.goodput_mbit
    runs = _repeat(lambda: target.network.iperf3(client=path.client, server=path.server,
                                                 seconds=SECONDS, udp_mbit=offered))
    loss = [r.lost_percent or 0.0 for r in runs]
    goodput = [r.goodput_mbit for r in runs]
    tags = {"path": path.label, "offered_mbit": f"{offered:.0f}"}
    measure.figure(UDP_STREAM_GOODPUT[kind], statistics.median(goodput), ceiling=offered, samples=goodput,
                   **tags)
    measure.figure(UDP_STREAM_LOSS[kind], statistics.median(loss), samples=loss, **tags)
    jitter = [r.jitter_ms or 0.0 for r in runs]
    measure.figure(UDP_STREAM_JITTER[kind], statistics.median(jitter), samples=jitter, **tags)
    limit = profile.expectations.max_udp_loss_pct
    assert statistics.median(loss) <= limit, (
        f"{path.label} ({kind}): UDP offered at {offered:.0f} Mbit/s lost a median "
        f"{statistics.median(loss):.2f} % of datagrams, over {limit:g} % (runs: "
        + ", ".join(f"{v:.2f} %" for v in loss) + f"; received {_spread(goodput, 'Mbit/s')})")


@pytest.mark.parametrize("kind", PATHS, scope="module")
def test_round_trip_latency(target: Target, profile: Profile, measure: Measure, path: Path,
                            kind: str) -> None:
    try:
        runs: list[RoundTrips] = _repeat(lambda: target.network.round_trips(
            client=path.client, server=path.server, seconds=SECONDS))
    except NotMeasurable as error:
        pytest.skip(str(error))
    tags = {"path": path.label}
    p50 = [r.p50_us / 1000 for r in runs]
    p99 = [r.p99_us / 1000 for r in runs]
    rate = [r.per_second for r in runs]
    measure.figure(ROUND_TRIP_P50[kind], statistics.median(p50), samples=p50, **tags)
    measure.figure(ROUND_TRIP_P99[kind], statistics.median(p99), samples=p99, **tags)
    measure.figure(ROUND_TRIP_RATE[kind], statistics.median(rate), samples=rate, **tags)
    limit = profile.expectations.round_trip_p99_max_ms
    assert statistics.median(p99) <= limit, (
        f"{path.label} ({kind}): round-trip p99 {statistics.median(p99):.3f} ms is over {limit:g} ms "
        "(runs: " + ", ".join(f"{v:.3f}" for v in p99) + " ms)")
