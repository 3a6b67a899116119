"""Ceph health: the cluster is whole and configured as the profile says.

The checks read one `ceph status` (plus `ceph osd pool ls detail`) together, through the target: the lab's
CLI or the Rook toolbox. Warnings the profile allows (`expectations.allowed_ceph_warnings`) pass.
"""

from __future__ import annotations

import pytest

from harness.profile import Profile
from harness.targets.base import Target
from harness.workloads.ceph_status import CephStatus


@pytest.fixture(scope="module")
def status(target: Target) -> CephStatus:
    """One reading for the module: the checks judge the same moment, and each costs no CLI call."""
    return target.storage.health()


def test_health_ok(status: CephStatus, profile: Profile) -> None:
    unexpected = status.warnings_except(profile.expectations.allowed_ceph_warnings)
    assert status.health == "HEALTH_OK" or (status.health == "HEALTH_WARN" and not unexpected), (
        f"{status.health}: " + "; ".join(f"{c.code}: {c.message}" for c in unexpected))


def test_mons_in_quorum(status: CephStatus, profile: Profile) -> None:
    expected = min(3, len(profile.controlplane_nodes()))
    assert len(status.quorum) == expected == status.mons, (
        f"{len(status.quorum)} of {status.mons} mons in quorum ({', '.join(status.quorum)}), "
        f"expected {expected}")


def test_osds_up_and_in(status: CephStatus, target: Target) -> None:
    expected = len(target.storage.osd_nodes())
    assert status.osds_up == status.osds_in == status.osds == expected, (
        f"OSDs: {status.osds_up} up, {status.osds_in} in, {status.osds} exist; expected {expected}")


def test_pgs_active_clean(status: CephStatus) -> None:
    assert status.all_pgs_active_clean, f"not every PG is active+clean: {status.summary()}"


def test_block_pools_replicated_as_profile(status: CephStatus, profile: Profile) -> None:
    wanted = profile.storage.replication
    block = [p for p in status.pools if "rbd" in p.application]
    assert block, "no pool is enabled for rbd"
    wrong = [f"{p.name}: size {p.size} min_size {p.min_size}" for p in block
             if (p.size, p.min_size) != (wanted.size, wanted.min_size)]
    assert not wrong, f"expected size {wanted.size} min_size {wanted.min_size}; " + "; ".join(wrong)


def test_object_gateway_running(status: CephStatus) -> None:
    assert status.rgw_daemons >= 1, "no object gateway (RGW) is registered with the cluster"
