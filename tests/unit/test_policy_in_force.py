"""The policy matrix is judged once the policy is in force: probed again until it shows the
expected verdicts or the target's propagation bound has passed; rounds take a first look with a
short deny timeout, and a matrix still wrong after the bound is probed once more with the full one:
that round is the verdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from harness.netpol.matrix import Connection as Cell
from harness.netpol.matrix import Matrix
from harness.targets.network import Connection
from harness.workloads.connect import DENIED_AFTER_S, FIRST_LOOK_S
from suites.network import test_policies as suite


@dataclass
class SlowNetwork:
    """Denies a -> b only from the `in_force_after`-th round on (Cilium still regenerating)."""

    policy_propagation_s: float
    in_force_after: int | None  # None: never (a policy the datapath does not enforce)
    rounds: int = 0
    calls: list[dict[str, Any]] = field(default_factory=list)

    def connect_matrix(self, pods: list[object], **kwargs: Any) -> list[Connection]:
        self.rounds += 1
        self.calls.append(kwargs)
        allowed = self.in_force_after is None or self.rounds < self.in_force_after
        return [Connection("x/a", "x/b", 80, "UDP", allowed, "open" if allowed else "timeout", 0.0)]


@dataclass
class Target:
    network: SlowNetwork


EXPECTED = Matrix({Cell("x/a", "x/b", 80, "UDP"): False})


@pytest.mark.parametrize(("bound_s", "in_force_after", "rounds", "verdict"),
                         [(5.0, 3, 3, False), (0.0, 3, 2, True), (0.2, None, None, True)])
def test_probed_until_in_force_or_the_bound(bound_s: float, in_force_after: int | None,
                                            rounds: int | None, verdict: bool) -> None:
    target = Target(SlowNetwork(bound_s, in_force_after))
    observed, attempts = suite._observe_until_in_force(target, [], EXPECTED, [])  # type: ignore[arg-type]
    assert observed.allowed("x/a", "x/b", 80, "UDP") is verdict
    assert attempts == target.network.rounds and (rounds is None or attempts == rounds)
    assert target.network.calls[0] == {"ports": suite.PORTS, "protocols": ("TCP", "UDP"), "peers": [],
                                       "timeout_s": FIRST_LOOK_S}
    timeouts = [call["timeout_s"] for call in target.network.calls]
    # In force within the bound: first looks only; else the verdict's round waits the full timeout.
    in_force = not verdict
    last = FIRST_LOOK_S if in_force else DENIED_AFTER_S
    assert timeouts == [FIRST_LOOK_S] * (attempts - 1) + [last]


@dataclass
class SlowAnswers:
    """Allowed everywhere, but the answer comes after the first look's timeout (a lost SYN)."""

    policy_propagation_s: float = 0.0
    timeouts: list[float] = field(default_factory=list)

    def connect_matrix(self, pods: list[object], *, timeout_s: float, **kwargs: Any) -> list[Connection]:
        self.timeouts.append(timeout_s)
        allowed = timeout_s >= 1.0
        return [Connection("x/a", "x/b", 80, "TCP", allowed, "open" if allowed else "timeout", 0.0)]


def test_an_answer_slower_than_the_first_look_is_not_a_drop() -> None:
    network = SlowAnswers()
    expected = Matrix({Cell("x/a", "x/b", 80, "TCP"): True})
    observed, attempts = suite._observe_until_in_force(Target(network), [], expected, [])  # type: ignore[arg-type]
    assert observed.allowed("x/a", "x/b", 80, "TCP") and attempts == 2
    assert network.timeouts == [FIRST_LOOK_S, DENIED_AFTER_S]
