"""Network suites: node pairs from the profile, and the shared pods the throughput tests use."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.plugin.state import session_profile
from harness.targets.base import Target
from harness.targets.network import Pod, PodSpec


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    names = [node.name for node in session_profile(metafunc.config).nodes]
    if "node_pair" in metafunc.fixturenames:
        pairs = [(a, b) for a in names for b in names if a != b]
        metafunc.parametrize("node_pair", pairs, ids=[f"{a}->{b}" for a, b in pairs])
    if "pod_node_pair" in metafunc.fixturenames:
        # Each node's pod to the next node's pod: every link carries one flow each way.
        pairs = [(a, names[(i + 1) % len(names)]) for i, a in enumerate(names)] if len(names) > 1 else []
        metafunc.parametrize("pod_node_pair", pairs, ids=[f"{a}->{b}" for a, b in pairs])


@pytest.fixture(scope="module")
def pod_per_node(target: Target) -> Iterator[dict[str, Pod]]:
    """One pod on every node, in namespace `throughput`."""
    specs = [PodSpec(name=f"iperf-{n.name}", namespace="throughput", node=n.name,
                     labels={"app": "iperf3"}) for n in target.nodes()]
    with target.network.pods(specs) as made:
        yield {pod.node: pod for pod in made}
