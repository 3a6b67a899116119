"""The storage capability of a Target: Ceph health, block volumes, buckets.

Filled in by the storage work (Rook-Ceph on a real cluster, hand-bootstrapped Ceph in the lab).
"""

from __future__ import annotations

from abc import ABC


class Storage(ABC):  # noqa: B024 -- methods arrive with the storage work
    """What suites may ask of the cluster's storage."""
