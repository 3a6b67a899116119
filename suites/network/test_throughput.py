"""TCP goodput over the switch: every ordered node pair, and pod to pod across nodes.

Recorded against the link's goodput ceiling (941 Mbit/s on 1GbE); the acceptance line is the
profile's `min_link_fraction` of it. Short runs (3 s) keep the suite fast: a healthy shaped link
reaches its ceiling within the first second. A run below the line is repeated once and the
better run counts: interference (a busy machine) only ever lowers a goodput figure, so the best
run is the link's, while a slow link stays slow in both.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from harness.plugin import Measure
from harness.profile import Profile
from harness.targets.base import Target
from harness.targets.network import Pod
from harness.workloads.iperf3 import Iperf3Result

SECONDS = 3.0

pytestmark = pytest.mark.benchmark


def _best_of_two(run: Callable[[], Iperf3Result], profile: Profile) -> tuple[Iperf3Result, str]:
    """The run, or the better of two when the first is short; with a note for the message."""
    first = run()
    if first.goodput_mbit >= profile.expectations.min_link_fraction * profile.switch.goodput_mbit:
        return first, ""
    second = run()
    best = max(first, second, key=lambda r: r.goodput_mbit)
    return best, f"; best of 2 runs: {first.goodput_mbit:.0f} and {second.goodput_mbit:.0f} Mbit/s"


def _record_and_check(result: Iperf3Result, *, kind: str, profile: Profile, measure: Measure,
                      note: str = "") -> None:
    __tracebackhide__ = True
    ceiling = profile.switch.goodput_mbit
    tags = {"sender": result.sender, "receiver": result.receiver}
    measure(f"network.{kind}.goodput", result.goodput_mbit, "Mbit/s", higher_is_better=True,
            ceiling=ceiling, **tags)
    measure(f"network.{kind}.retransmits", result.retransmits, "count", higher_is_better=False, **tags)
    floor = profile.expectations.min_link_fraction * ceiling
    assert result.goodput_mbit >= floor, (
        f"{result.sender} -> {result.receiver}: {result.goodput_mbit:.0f} Mbit/s is below "
        f"{profile.expectations.min_link_fraction:g} x {ceiling:g} = {floor:.0f} Mbit/s "
        f"({result.retransmits} retransmits{note})")


def test_node_to_node_goodput(target: Target, profile: Profile, measure: Measure,
                              node_pair: tuple[str, str]) -> None:
    client, server = node_pair
    result, note = _best_of_two(lambda: target.network.iperf3(client=client, server=server, seconds=SECONDS),
                                profile)
    _record_and_check(result, kind="node_to_node", profile=profile, measure=measure, note=note)


def test_pod_to_pod_goodput(target: Target, profile: Profile, measure: Measure,
                            pod_per_node: dict[str, Pod], pod_node_pair: tuple[str, str]) -> None:
    client, server = (pod_per_node[node] for node in pod_node_pair)
    result, note = _best_of_two(lambda: target.network.iperf3(client=client, server=server, seconds=SECONDS),
                                profile)
    _record_and_check(result, kind="pod_to_pod", profile=profile, measure=measure, note=note)
