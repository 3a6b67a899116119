"""Storage suites: skipped, with the reason, when the profile runs no storage; the roofline."""

from __future__ import annotations

import pytest

from harness.profile import Profile
from harness.roofline import StorageRoofline, link_mib_s
from harness.targets.base import Target


def storage_off_reason(profile: Profile) -> str | None:
    if not profile.storage.enabled:
        return f"profile {profile.name} has storage.enabled: false"
    if profile.target == "lab" and not profile.lab.storage:
        return f"profile {profile.name} brings the lab up without Ceph (lab.storage: false)"
    return None


@pytest.fixture(autouse=True, scope="module")
def _storage_on(profile: Profile) -> None:
    """Module-scoped, so it runs before the modules' own fixtures (a volume, a bucket, a reading)."""
    reason = storage_off_reason(profile)
    if reason:
        pytest.skip(reason)


@pytest.fixture
def roofline(target: Target, profile: Profile) -> StorageRoofline:
    """Ceilings for this cluster: link goodput, pool size, OSD nodes, where the client sits."""
    storage = target.storage
    nodes = storage.osd_nodes()
    client = storage.client(None)  # block benchmarks run from the target's own client host
    return StorageRoofline(link=link_mib_s(profile.switch.goodput_mbit), osd_nodes=len(nodes),
                           size=profile.storage.replication.size,
                           client_osd=nodes.index(client.node) if client.colocated_with_osd and client.node
                           else None,
                           gateway_osd=nodes.index(gateway) if (gateway := storage.gateway_node()) in nodes
                           else 0,
                           names=tuple(nodes))

