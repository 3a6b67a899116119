"""TCP goodput over the switch: every ordered node pair, and pod to pod across nodes.

Recorded against the link's goodput ceiling (941 Mbit/s on 1GbE). Short runs keep the suite
fast (1 s in the acceptance run, 3 s under `-m benchmark`; on the lab 1 s runs measured
939.8 Mbit/s with a 0.1 % spread, 3 s runs 940.3): a healthy shaped link reaches its ceiling
within the first tenth of a second, and the first
runs go in rounds of pairs that share no endpoint, at once (`harness.workloads.rounds`; only the
pairs the session selected). A first run that reaches the profile's `min_link_fraction` of the
ceiling passes. A shorter one is judged the way the storage figures are, against the target's
twin path (`Network.link_twin`, iperf3 across a healthy link's shape that no node shares): the
twin runs, then the pair once more, alone, and a run must reach the fraction of min(ceiling,
the twin run next to it); up to `TWIN_ATTEMPTS` such twin-and-pair runs (right after the lab
comes up, Ceph's start-up work moved first runs to 590-940 Mbit/s). On the lab every link is
emulated by this machine's cores, so a busy machine slows the twin alike; a slow link is the
pair's alone. The twin itself must reach `min_link_twin_fraction` of the ceiling, or the run
measured the machine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import pytest

from harness.metrics import GOODPUT, RETRANSMITS, TWIN_GOODPUT
from harness.plugin import Depth, Measure
from harness.profile import Profile
from harness.targets.base import Target
from harness.targets.network import Pod
from harness.workloads.iperf3 import Iperf3Result
from harness.workloads.rounds import run_in_rounds

QUICK_S = 1.0
FULL_S = 3.0
TWIN_ATTEMPTS = 3

pytestmark = pytest.mark.benchmark

FirstRuns = dict[tuple[str, str], Iperf3Result | Exception]


def _selected_pairs(request: pytest.FixtureRequest, argname: str) -> list[tuple[str, str]]:
    """The pairs of this module's tests the session runs (`-k` picks fewer)."""
    return list(dict.fromkeys(
        item.callspec.params[argname] for item in request.session.items
        if isinstance(item, pytest.Function) and item.module is request.module
        and hasattr(item, "callspec") and argname in item.callspec.params))


@pytest.fixture(scope="session")
def seconds(depth: Depth) -> float:
    """How long each iperf3 run lasts in this session."""
    return depth.pick(QUICK_S, FULL_S)


@pytest.fixture(scope="module")
def node_first_runs(request: pytest.FixtureRequest, target: Target, seconds: float) -> FirstRuns:
    return run_in_rounds(_selected_pairs(request, "node_pair"),
                         lambda a, b: target.network.iperf3(client=a, server=b, seconds=seconds))


@pytest.fixture(scope="module")
def pod_first_runs(request: pytest.FixtureRequest, target: Target, pod_per_node: dict[str, Pod],
                   seconds: float) -> FirstRuns:
    return run_in_rounds(_selected_pairs(request, "pod_node_pair"),
                         lambda a, b: target.network.iperf3(client=pod_per_node[a], server=pod_per_node[b],
                                                            seconds=seconds))


@dataclass(frozen=True)
class Judged:
    """The pair's counted run, the bound it is judged against and how that bound came about."""

    result: Iperf3Result
    bound_mbit: float
    note: str
    twin: Iperf3Result | None = None

    @property
    def share(self) -> float:
        """The run's goodput as a share of its bound."""
        return self.result.goodput_mbit / self.bound_mbit if self.bound_mbit > 0 else 0.0


def _measure_pair(first: Iperf3Result | Exception, run: Callable[[], Iperf3Result], *, target: Target,
                  profile: Profile, seconds: float) -> Judged:
    """The first run (from the rounds) if it reaches the roofline's share; else runs alone, each
    right after a twin run, until one reaches its twin's share (at most `TWIN_ATTEMPTS`).

    Each run is judged against the twin measured next to it, not one twin against all runs: on
    a busy machine the load moves between runs, and a defect's link (a tenth of the twin or
    less) falls short at every attempt."""
    if isinstance(first, Exception):
        raise first
    ceiling = profile.switch.goodput_mbit
    fraction = profile.expectations.min_link_fraction
    if first.goodput_mbit >= fraction * ceiling:
        return Judged(first, ceiling, "")
    seen = [f"{first.goodput_mbit:.0f} (in its round)"]
    judged: list[Judged] = []
    for _ in range(TWIN_ATTEMPTS):
        twin = target.network.link_twin(seconds=seconds)
        again = run()
        if twin is None:
            result = max(first, again, key=lambda r: r.goodput_mbit)
            return Judged(result, ceiling, f"best of 2 runs: {seen[0]} and {again.goodput_mbit:.0f} "
                                           "Mbit/s (alone); no twin path on this target")
        seen.append(f"{again.goodput_mbit:.0f} after a twin run of {twin.goodput_mbit:.0f}")
        # The round's run is judged beside the first twin as well: it may be the pair's best.
        runs = [again] if judged else [first, again]
        judged += [Judged(r, min(ceiling, twin.goodput_mbit), "", twin) for r in runs]
        if max(j.share for j in judged) >= fraction:
            break
    best = max(judged, key=lambda j: j.share)
    return replace(best, note="runs: " + ", ".join(seen) + " Mbit/s")


def _record_and_check(judged: Judged, *, kind: str, profile: Profile, measure: Measure) -> None:
    __tracebackhide__ = True
    result, ceiling = judged.result, profile.switch.goodput_mbit
    fraction = profile.expectations.min_link_fraction
    tags = {"sender": result.sender, "receiver": result.receiver}
    measure.figure(GOODPUT[kind], result.goodput_mbit, ceiling=ceiling, **tags)
    measure.figure(RETRANSMITS[kind], result.retransmits, **tags)
    if judged.twin is not None:
        measure.figure(TWIN_GOODPUT[kind], judged.twin.goodput_mbit, ceiling=ceiling, **tags)
    floor = fraction * judged.bound_mbit
    bound = f"{ceiling:g}" if judged.bound_mbit >= ceiling else f"the twin path's {judged.bound_mbit:.0f}"
    note = f"; {judged.note}" if judged.note else ""
    assert result.goodput_mbit >= floor, (
        f"{result.sender} -> {result.receiver}: {result.goodput_mbit:.0f} Mbit/s is below "
        f"{fraction:g} x {bound} = {floor:.0f} Mbit/s ({result.retransmits} retransmits{note})")
    if judged.twin is not None:
        twin_floor = profile.expectations.min_link_twin_fraction * ceiling
        assert judged.twin.goodput_mbit >= twin_floor, (
            f"{result.sender} -> {result.receiver}: the twin path itself carries only "
            f"{judged.twin.goodput_mbit:.0f} Mbit/s, below {profile.expectations.min_link_twin_fraction:g} "
            f"x {ceiling:g} = {twin_floor:.0f}: the machine, not the link, was measured")


def test_node_to_node_goodput(target: Target, profile: Profile, measure: Measure,
                              node_pair: tuple[str, str], node_first_runs: FirstRuns, seconds: float) -> None:
    client, server = node_pair
    judged = _measure_pair(node_first_runs[node_pair],
                           lambda: target.network.iperf3(client=client, server=server, seconds=seconds),
                           target=target, profile=profile, seconds=seconds)
    _record_and_check(judged, kind="node_to_node", profile=profile, measure=measure)


def test_pod_to_pod_goodput(target: Target, profile: Profile, measure: Measure,
                            pod_per_node: dict[str, Pod], pod_node_pair: tuple[str, str],
                            pod_first_runs: FirstRuns, seconds: float) -> None:
    client, server = (pod_per_node[node] for node in pod_node_pair)
    judged = _measure_pair(pod_first_runs[pod_node_pair],
                           lambda: target.network.iperf3(client=client, server=server, seconds=seconds),
                           target=target, profile=profile, seconds=seconds)
    _record_and_check(judged, kind="pod_to_pod", profile=profile, measure=measure)
