"""Shared pieces of the storage tests on the fakes: a storage-enabled profile, the fake Rook."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.kubernetes.fakecluster import NODES, FakeCluster
from tests.kubernetes.fakestorage import FakeStorage


def storage_profile(cluster: FakeCluster) -> Path:
    """The fake cluster's profile with the storage suites on (Rook defaults: size 3, min_size 2)."""
    profile = yaml.safe_load(cluster.profile_path.read_text())
    profile["storage"] = {"enabled": True, "block_storage_class": "ceph-block",
                          "bucket_storage_class": "ceph-bucket", "ceph_namespace": "rook-ceph"}
    path = cluster.root / "storage.yaml"
    path.write_text(yaml.safe_dump(profile))
    return path


def install_fake_rook(cluster: FakeCluster) -> FakeStorage:
    """Rook in the fake cluster, and the cluster's profile switched to the storage-enabled one."""
    found = FakeStorage(cluster.api, nodes=list(NODES)).install()
    cluster.profile_path = storage_profile(cluster)
    return found
