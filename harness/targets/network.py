"""The network capability of a Target: load balancers, pods, policies, throughput.

Filled in by the network work (Cilium L2 LB, NetworkPolicies, iperf3); designed for both the lab
and a real cluster.
"""

from __future__ import annotations

from abc import ABC


class Network(ABC):  # noqa: B024 -- methods arrive with the network work
    """What suites may ask of the cluster's network."""
