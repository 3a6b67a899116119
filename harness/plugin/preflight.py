"""Before the first test: ask the target whether what the collected tests need can run.

What a test needs is read from where it lives (`suites/<area>/...`) and, for a scenario, from
what it does (a `partition` fault, a load-balancer or RBD probe). On the kubernetes target that
is a tiny pod per node and image; a node where an image cannot run stops the session with every
such node named, instead of as many confusing failures later. Runs on the collecting process
only: under xdist the controller collects nothing, so there is no preflight there.
"""

from __future__ import annotations

import pytest

from harness.chaos import load_scenario
from harness.chaos.model import Action, ObserveProbe, Scenario
from harness.errors import HarnessError
from harness.plugin.depth import session_depth
from harness.plugin.state import harness_session

SUITE_AREAS = ("controlplane", "nodes", "network", "storage", "api")
NETWORK_PROBES = (ObserveProbe.LB_HTTP, ObserveProbe.LB_ANNOUNCER)
S3_SUITE = "suites/storage/test_object.py::"


def scenario_needs(scenario: Scenario) -> set[str]:
    # A partition and a shaped link both run the netshoot pod (nft, tc) on the node.
    needs = {"partition" for step in scenario.method
             if step.action in (Action.PARTITION, Action.DEGRADE_LINK)}
    if any(step.action is Action.KILL for step in scenario.method):
        needs.add("kill")  # the kill pod runs the debug image on the node
    probes = {observation.probe for observation in scenario.observe.values()}
    if probes & set(NETWORK_PROBES):
        needs.add("network")
    if ObserveProbe.RBD_WRITE in probes:
        needs.add("storage")
    return needs


def suite_area(item: pytest.Item) -> str | None:
    """`network` for `suites/network/test_x.py::test_y`; None outside the suites' areas."""
    parts = item.nodeid.split("/")
    return parts[1] if len(parts) > 2 and parts[0] == "suites" and parts[1] in SUITE_AREAS else None


def needs_of(items: list[pytest.Item]) -> set[str]:
    from harness.plugin.scenarios import ScenarioItem

    needs: set[str] = set()
    for item in items:
        if any(m.name == "skip" for m in item.iter_markers()):
            continue
        if isinstance(item, ScenarioItem):
            try:
                needs |= scenario_needs(load_scenario(item.path))
            except HarnessError:
                continue  # a broken scenario fails as its own test, with its own message
            continue
        area = suite_area(item)
        if area is not None:
            needs.add(area)
        if item.nodeid.startswith(S3_SUITE):  # its client follows the depth (s3runs.choose_tool)
            needs.add("s3-warp" if session_depth(item.config).name == "full" else "s3")
    return needs


@pytest.hookimpl(trylast=True)  # after every skip marker is on
def pytest_collection_finish(session: pytest.Session) -> None:
    state = harness_session(session.config)
    if state is None or not state.is_controller or not state.prepared or not session.items:
        return
    try:
        state.target.preflight(needs_of(session.items))
    except HarnessError as error:
        raise pytest.UsageError(f"target {state.target.id} failed its preflight: {error}") from None
