"""Observation windows and recovery timeouts stretched to the profile's SLOs (issue 14).

A scenario file states its windows in lab seconds; a profile states its bounds (a Talos VIP may
take 15 s to move, a Ceph node a minute to heal). An observation that ends before its bound
cannot tell "recovered just in time" from "never recovered", so before a run each window is
stretched until the bound has passed by a stated margin; a window is never shortened.

- A bound on a figure measured from the fault (`longest_unavailable_s`, `time_to_recovery_s`,
  `longest_stall_s`, `events.<kind>.after_fault_s`) must end inside the observation:
  lead + bound + margin.
- A bound on a figure measured from the fault's undo (`ok_after_power_on_s`) must end inside the
  observation after the method: lead + method + bound + margin; and the steady state is waited
  for that long after the method (`recovery_timeout_s`).

Faults are held as written: a real node's boot outlasts the hold anyway, and the lab's holds are
written to outlast the lab's bounds.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from harness.chaos.expressions import Expectation, parse_expectation, profile_value
from harness.chaos.model import Scenario
from harness.metrics import timed_from
from harness.profile import Profile

FROM_FAULT = timed_from("fault")
FROM_UNDO = timed_from("undo")
MARGIN_FRACTION = 0.25
MIN_MARGIN_S = 2.0


def margin_s(bound_s: float) -> float:
    """How far past its bound a window reaches: a quarter of the bound, at least 2 s."""
    return max(MIN_MARGIN_S, MARGIN_FRACTION * bound_s)


@dataclass(frozen=True)
class Stretch:
    what: str
    """`observe.api.duration_s` or `recovery_timeout_s`."""
    written_s: float
    fitted_s: float
    metric: str
    """The expectation's metric whose bound needs it."""
    bound_s: float

    def sentence(self) -> str:
        return (f"window: {self.what} {self.written_s:g} s -> {self.fitted_s:g} s, so that "
                f"{self.metric} <= {self.bound_s:g} s is judged with a margin of "
                f"{margin_s(self.bound_s):g} s")


@dataclass(frozen=True)
class FittedScenario:
    scenario: Scenario
    stretches: tuple[Stretch, ...]


def _upper_bound(expectation: Expectation, profile: Profile) -> float | None:
    if expectation.op not in ("<=", "<"):
        return None
    if expectation.profile_path is not None:
        return profile_value(profile, expectation.profile_path)
    return expectation.number


def _bounds(scenario: Scenario, expectations: list[Expectation], profile: Profile,
            kinds: tuple[str, ...]) -> dict[str, tuple[float, str]]:
    """Per observation (events count for all): the largest bound of `kinds`, with its metric."""
    found: dict[str, tuple[float, str]] = {}
    for expectation in expectations:
        bound = _upper_bound(expectation, profile)
        if bound is None or not expectation.metric.endswith(kinds):
            continue
        names = list(scenario.observe) if expectation.observation == "events" else [expectation.observation]
        for name in names:
            if name not in found or bound > found[name][0]:
                found[name] = (bound, expectation.metric)
    return found


def fit_windows(scenario: Scenario, profile: Profile) -> FittedScenario:
    expectations = [parse_expectation(text) for text in scenario.expectations]
    lead_s = scenario.lead_s
    needed: dict[str, list[tuple[float, str, float]]] = defaultdict(list)
    for name, (bound, metric) in _bounds(scenario, expectations, profile, FROM_FAULT).items():
        needed[name].append((lead_s + bound + margin_s(bound), metric, bound))
    undo = _bounds(scenario, expectations, profile, FROM_UNDO)
    for name, (bound, metric) in undo.items():
        needed[name].append((lead_s + scenario.method_s + bound + margin_s(bound), metric, bound))
    stretches: list[Stretch] = []
    observe = dict(scenario.observe)
    for name, wants in needed.items():
        fitted_s, metric, bound = max(wants)
        if name in observe and fitted_s > observe[name].duration_s:
            stretches.append(Stretch(f"observe.{name}.duration_s", observe[name].duration_s,
                                     round(fitted_s, 2), metric, bound))
            observe[name] = observe[name].model_copy(update={"duration_s": round(fitted_s, 2)})
    update: dict[str, object] = {"observe": observe}
    if undo:
        bound, metric = max(undo.values())
        recovery_s = round(bound + margin_s(bound), 2)
        if recovery_s > scenario.recovery_timeout_s:
            stretches.append(Stretch("recovery_timeout_s", scenario.recovery_timeout_s, recovery_s,
                                     metric, bound))
            update["recovery_timeout_s"] = recovery_s
    return FittedScenario(scenario.model_copy(update=update), tuple(stretches))
