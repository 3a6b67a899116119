"""Rules that span several profile fields, checked once every field parsed on its own.

Each rule returns problems as (path, sentence) pairs so the loader can list them all at once.
"""

from __future__ import annotations

from collections import Counter
from ipaddress import IPv4Address, IPv4Network

from harness.profile.defects import parse_defect
from harness.profile.model import Profile

Problem = tuple[str, str]


def cross_field_problems(profile: Profile) -> list[Problem]:
    return [
        *_node_problems(profile),
        *_address_problems(profile),
        *_storage_problems(profile),
        *_defect_problems(profile),
    ]


def _node_problems(profile: Profile) -> list[Problem]:
    problems: list[Problem] = []
    names = Counter(node.name for node in profile.nodes)
    addresses = Counter(node.address for node in profile.nodes)
    for index, node in enumerate(profile.nodes):
        if names[node.name] > 1:
            problems.append((f"nodes[{index}].name", f"{node.name!r} is used by more than one node"))
        if addresses[node.address] > 1:
            problems.append((f"nodes[{index}].address", f"{node.address} is used by more than one node"))
    if not profile.controlplane_nodes():
        problems.append(("nodes", "no node has the role 'controlplane'"))
    return problems


def _address_problems(profile: Profile) -> list[Problem]:
    problems: list[Problem] = []
    node_addresses = {node.address for node in profile.nodes}
    vip = profile.controlplane.endpoint
    if vip in node_addresses:
        problems.append(("controlplane.endpoint", f"{vip} is also a node's address; the VIP must be free"))
    pool = profile.loadbalancer_pool
    if (pool.cidr is None) == (pool.range is None):
        problems.append(("loadbalancer_pool", "give exactly one of 'cidr' or 'range'"))
    elif pool.range is not None and int(pool.range.last) < int(pool.range.first):
        problems.append(("loadbalancer_pool.range", "'last' comes before 'first'"))
    else:
        taken = (node_addresses | {vip}) & set(pool.addresses())
        if taken:
            listed = ", ".join(str(a) for a in sorted(taken))
            problems.append(("loadbalancer_pool", f"overlaps node or VIP addresses: {listed}"))
    if profile.target == "lab":
        problems.extend(_lab_subnet_problems(profile))
    return problems


def _lab_subnet_problems(profile: Profile) -> list[Problem]:
    # The lab must stay on the RFC 2544 benchmarking range, on its own bridge.
    benchmarking = IPv4Network("198.18.0.0/15")
    lab = profile.lab
    subnet = IPv4Network(f"{lab.workstation_address}/{lab.prefix_length}", strict=False)
    problems: list[Problem] = []
    addresses: list[tuple[str, IPv4Address]] = [
        ("lab.workstation_address", lab.workstation_address),
        ("controlplane.endpoint", profile.controlplane.endpoint),
        *((f"nodes[{i}].address", node.address) for i, node in enumerate(profile.nodes)),
    ]
    for path, address in addresses:
        if address not in benchmarking:
            problems.append((path, f"{address} is outside 198.18.0.0/15, the only range the lab may use"))
        elif address not in subnet:
            problems.append((path, f"{address} is outside the lab subnet {subnet}"))
    return problems


def _storage_problems(profile: Profile) -> list[Problem]:
    replication = profile.storage.replication
    problems: list[Problem] = []
    if replication.min_size > replication.size:
        problems.append(("storage.replication.min_size", "is larger than 'size'"))
    if replication.size > len(profile.nodes):
        problems.append(("storage.replication.size",
                         f"{replication.size} copies need {replication.size} nodes; the profile has "
                         f"{len(profile.nodes)}"))
    return problems


def _defect_problems(profile: Profile) -> list[Problem]:
    names = [node.name for node in profile.nodes]
    problems: list[Problem] = []
    for index, text in enumerate(profile.lab.defects):
        try:
            parse_defect(text, names)
        except ValueError as error:
            problems.append((f"lab.defects[{index}]", str(error)))
    return problems
