"""Shared by every suite: parametrize over the profile's nodes by role.

A test asks for `controlplane_node` or `any_node` and runs once per matching node of the
profile, with the node name as its id (`test_member_reachable_directly[cp2]`).
"""

from __future__ import annotations

import pytest

from harness.plugin.state import session_profile


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "controlplane_node" in metafunc.fixturenames:
        names = [node.name for node in session_profile(metafunc.config).controlplane_nodes()]
        metafunc.parametrize("controlplane_node", names, ids=names)
    if "any_node" in metafunc.fixturenames:
        names = [node.name for node in session_profile(metafunc.config).nodes]
        metafunc.parametrize("any_node", names, ids=names)
