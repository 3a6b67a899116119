"""Compare the engine with IBM network-config-analyzer's expected connectivity ("fw rules").

NCA names peers as namespace lists (`[y]`), pod lists holding workload (owner) names or label
expressions (`[b]`, `[pod!=c]`, `[*]`), and IP blocks (`0.0.0.0/0`, ranges `a-b`); `conn` is
"All connections" (every protocol and port) or per-protocol port lists (`TCP 80,90-100;UDP 53`).
Both sides are expanded to one relation: (source peer, destination peer) -> connection set, where
IP peers are the atoms the policies' and NCA's CIDRs cut the address space into. Following NCA,
the IPv6 space joins only when some CIDR is IPv6.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import yaml

from harness.netpol.engine import decide
from harness.netpol.model import PROTOCOLS, CidrPeer, Cluster, External, IPNetwork, Pod, Policy, PortMatch
from harness.netpol.selectors import Requirement

Ports = frozenset[tuple[str, int, int]]  # (protocol, first, last), merged
Relation = dict[tuple[str, str], Ports]
ALL: Ports = frozenset((p, 1, 65535) for p in PROTOCOLS)
SPACES = {4: (0, 2**32 - 1), 6: (0, 2**128 - 1)}


@dataclass(frozen=True)
class Atom:
    version: int
    first: int
    last: int

    def __str__(self) -> str:
        make = ipaddress.IPv4Address if self.version == 4 else ipaddress.IPv6Address
        return f"{make(self.first)}-{make(self.last)}"


@dataclass(frozen=True)
class FwRule:
    """One NCA line: each side is either (namespaces, pods) or IP blocks."""

    src_ns: tuple[str, ...]
    src_pods: tuple[str, ...]
    src_ips: tuple[str, ...]
    dst_ns: tuple[str, ...]
    dst_pods: tuple[str, ...]
    dst_ips: tuple[str, ...]
    conn: str


def _split_list(text: str) -> tuple[str, ...]:
    items = re.split(r",(?![^()]*\))", text.strip().strip("[]"))  # commas inside (a,b) stay
    return tuple(item.strip() for item in items if item.strip())


def parse_fw_rules_txt(text: str) -> list[FwRule]:
    rules = []
    for line in text.splitlines():
        if not line.startswith("src"):
            continue
        fields = dict(re.findall(r"(\w+): (\[[^\]]*\]|[^ ]+(?: connections)?|.+$)", line.split(" conn: ")[0]))
        rules.append(FwRule(_split_list(fields.get("src_ns", "")), _split_list(fields.get("src_pods", "")),
                            _split_list(fields.get("src", "")), _split_list(fields.get("dst_ns", "")),
                            _split_list(fields.get("dst_pods", "")), _split_list(fields.get("dst", "")),
                            line.split(" conn: ", 1)[1].strip()))
    return rules


def parse_fw_rules_yaml(text: str) -> list[FwRule]:
    rules = []
    for query in yaml.safe_load(text):
        for explanation in query.get("explanation", []):
            for r in explanation.get("rules", []):
                def get(key: str, r: dict[str, Any] = r) -> tuple[str, ...]:
                    return tuple(str(v) for v in r.get(key, []))
                rules.append(FwRule(get("src_ns"), get("src_pods"), get("src_ip_block"), get("dst_ns"),
                                    get("dst_pods"), get("dst_ip_block"), "; ".join(get("connection"))))
    return rules


def parse_conn(text: str) -> Ports:
    if text == "All connections":
        return ALL
    found = set()
    for part in text.split(";"):
        protocol, _, ports = part.strip().partition(" ")
        if protocol not in PROTOCOLS or not ports:
            raise ValueError(f"unsupported NCA connection text {text!r}")
        for item in ports.split(","):
            first, _, last = item.partition("-")
            found.add((protocol, int(first), int(last or first)))
    return _merge(found)


def _merge(items: set[tuple[str, int, int]]) -> Ports:
    merged: list[tuple[str, int, int]] = []
    for protocol, first, last in sorted(items):
        if merged and merged[-1][0] == protocol and first <= merged[-1][2] + 1:
            merged[-1] = (protocol, merged[-1][1], max(last, merged[-1][2]))
        else:
            merged.append((protocol, first, last))
    return frozenset(merged)


def _ranges(blocks: Sequence[str]) -> list[tuple[int, int, int]]:
    """IP blocks (CIDR or a-b) as (version, first, last)."""
    found: list[tuple[int, int, int]] = []
    for block in blocks:
        if "/" in block:
            net = ipaddress.ip_network(block, strict=False)
            found.append((net.version, int(net.network_address), int(net.broadcast_address)))
        else:
            first, _, last = block.partition("-")
            a, b = ipaddress.ip_address(first), ipaddress.ip_address(last or first)
            found.append((a.version, int(a), int(b)))
    return found


def policy_networks(policies: Sequence[Policy]) -> list[IPNetwork]:
    found: list[IPNetwork] = []
    for policy in policies:
        for rules in (policy.ingress, policy.egress, policy.ingress_deny, policy.egress_deny):
            for rule in rules:
                for peer in rule.peers or ():
                    if isinstance(peer, CidrPeer):
                        found += [peer.cidr, *peer.excepts]
    return found


def ip_atoms(networks: Sequence[IPNetwork], extra_blocks: Sequence[str] = ()) -> list[Atom]:
    """The smallest pieces of the address space on which every given block is all-in or all-out."""
    ranges: list[tuple[int, int, int]] = [
        (n.version, int(n.network_address), int(n.broadcast_address)) for n in networks]
    ranges += _ranges(extra_blocks)
    versions = {4} | {v for v, _, _ in ranges}
    atoms = []
    for version in sorted(versions):
        low, high = SPACES[version]
        cuts = sorted({low, high + 1} | {a for v, a, _ in ranges if v == version}
                      | {b + 1 for v, _, b in ranges if v == version})
        atoms += [Atom(version, a, b - 1) for a, b in pairwise(cuts)]
    return atoms


def _port_cuts(cluster: Cluster, policies: Sequence[Policy]) -> list[tuple[int, int]]:
    cuts = {1, 65536} | {p.port for pod in cluster.pods for p in pod.ports} \
        | {p.port + 1 for pod in cluster.pods for p in pod.ports}
    for policy in policies:
        for rules in (policy.ingress, policy.egress, policy.ingress_deny, policy.egress_deny):
            for rule in rules:
                for match in rule.ports or ():
                    if isinstance(match, PortMatch) and isinstance(match.port, int):
                        cuts |= {match.port, (match.end_port or match.port) + 1}
    ordered = sorted(cuts)
    return [(a, b - 1) for a, b in pairwise(ordered)]


def engine_relation(cluster: Cluster, policies: Sequence[Policy], atoms: Sequence[Atom]) -> Relation:
    """The engine's connectivity over pods and IP atoms (External peers), as NCA would list it."""
    make = {4: ipaddress.IPv4Address, 6: ipaddress.IPv6Address}
    externals = {str(a): External(str(make[a.version](a.first))) for a in atoms}
    peers: dict[str, Pod | External] = {p.key: p for p in cluster.pods} | externals
    pieces = _port_cuts(cluster, policies)
    relation: Relation = {}
    for src_name, src in peers.items():
        for dst_name, dst in peers.items():
            if isinstance(src, External) and isinstance(dst, External):
                continue
            allowed = {(proto, a, b) for proto in PROTOCOLS for a, b in pieces
                       if decide(cluster, policies, src=src, dst=dst, port=a, protocol=proto).allowed}
            if allowed:
                relation[(src_name, dst_name)] = _merge(allowed)
    return relation


def nca_relation(rules: Sequence[FwRule], cluster: Cluster, workloads: Mapping[str, str],
                 atoms: Sequence[Atom]) -> Relation:
    """NCA's rules expanded over the same peers; `workloads` maps pod key -> NCA's workload name."""
    relation: Relation = {}
    for rule in rules:
        sources = _peers(rule.src_ns, rule.src_pods, rule.src_ips, cluster, workloads, atoms)
        targets = _peers(rule.dst_ns, rule.dst_pods, rule.dst_ips, cluster, workloads, atoms)
        for s in sources:
            for d in targets:
                relation[(s, d)] = _merge(set(relation.get((s, d), frozenset())) | parse_conn(rule.conn))
    return relation


def _peers(namespaces: Sequence[str], pods: Sequence[str], ips: Sequence[str], cluster: Cluster,
           workloads: Mapping[str, str], atoms: Sequence[Atom]) -> list[str]:
    if ips:
        blocks = _ranges(ips)
        return [str(a) for a in atoms if any(v == a.version and f <= a.first and a.last <= la
                                             for v, f, la in blocks)]
    return [p.key for p in cluster.pods
            if _listed(namespaces, p.namespace, cluster.namespace_labels(p.namespace))
            and _listed(pods, workloads.get(p.key, p.name), p.labels)]


def _listed(items: Sequence[str], name: str, labels: Mapping[str, str]) -> bool:
    return any(item == "*" or item == name or _expression(item, labels) for item in items)


def _expression(text: str, labels: Mapping[str, str]) -> bool:
    """NCA's label expressions: k=v, k!=v, k in (a,b), k not in (a,b), has(k), !has(k), joined by ' and '."""
    if not re.search(r"[=()]| in ", text):
        return False  # a plain name
    for part in text.split(" and "):
        part = part.strip()
        if m := re.fullmatch(r"(!?)has\((.+)\)", part):
            req = Requirement(m[2], "DoesNotExist" if m[1] else "Exists")
        elif m := re.fullmatch(r"(.+?) (not in|in) \((.*)\)", part):
            req = Requirement(m[1], "NotIn" if m[2] == "not in" else "In", tuple(m[3].split(",")))
        elif m := re.fullmatch(r"(.+?)(!=|=)(.*)", part):
            req = Requirement(m[1], "NotIn" if m[2] == "!=" else "In", (m[3],))
        else:
            raise ValueError(f"unsupported NCA label expression {text!r}")
        if not req.matches(labels):
            return False
    return True


def workload_names(pod_objects: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """NCA names a pod by its controller's name when it has one."""
    names = {}
    for pod in pod_objects:
        meta = pod["metadata"]
        owners = [o["name"] for o in meta.get("ownerReferences") or [] if o.get("controller")]
        names[f"{meta['namespace']}/{meta['name']}"] = owners[0] if owners else meta["name"]
    return names
