"""The lab's service addresses (`harness.targets.lab.services`): nftables that `nft` itself
accepts, translating TCP and UDP where Cilium does (before routing, on every node), addresses
from the service range clear of the Kubernetes lab's first ClusterIPs."""

from __future__ import annotations

import shutil
import subprocess
from ipaddress import IPv4Address

import pytest

from harness.targets.lab import services


def test_rules_translate_tcp_and_udp_for_the_nodes_pods_and_the_node_itself() -> None:
    rules = services.nft_rules("198.19.240.16", "198.19.14.7")
    assert "table ip harness_svc_198_19_240_16" in rules
    assert rules.count("ip daddr 198.19.240.16 meta l4proto { tcp, udp } dnat to 198.19.14.7") == 2
    assert "hook prerouting priority dstnat" in rules and "hook output priority -100" in rules


@pytest.mark.skipif(shutil.which("nft") is None, reason="nft is not installed")
def test_nft_accepts_the_rules() -> None:
    rules = services.nft_rules("198.19.240.16", "198.19.14.7")
    checked = subprocess.run(["nft", "-c", "-f", "-"], input=rules, capture_output=True, text=True,
                             timeout=10)
    assert checked.returncode == 0, checked.stderr


def test_addresses_come_from_the_service_range_past_the_kubernetes_labs_first() -> None:
    seen = [IPv4Address(services._next_address()) for _ in range(5000)]  # wraps around once
    assert all(a in services.SERVICE_RANGE for a in seen)
    assert min(seen) == services.SERVICE_RANGE[services._FIRST_FREE]
    assert max(seen) < services.SERVICE_RANGE.broadcast_address
