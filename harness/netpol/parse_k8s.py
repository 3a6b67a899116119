"""networking.k8s.io/v1 NetworkPolicy: YAML mapping -> `Policy`, recording every problem with its path.

Stricter than the API server on one point, on purpose: rules for a direction that `policyTypes`
leaves out are rejected, because Kubernetes silently ignores them and a test built on them would
check nothing.
"""

from __future__ import annotations

from typing import Any

from harness.netpol.errors import Problems
from harness.netpol.model import PROTOCOLS, CidrPeer, K8sPeer, Peer, Policy, PortMatch, Rule
from harness.netpol.parse_common import (
    check_fields,
    parse_cidr,
    parse_end_port,
    parse_excepts,
    parse_metadata,
    parse_port_value,
)
from harness.netpol.selectors import Selector, parse_selector

API_VERSION = "networking.k8s.io/v1"
DIRECTIONS = {"Ingress": ("ingress", "from"), "Egress": ("egress", "to")}


def parse_network_policy(doc: dict[str, Any], problems: Problems) -> Policy | None:
    check_fields(doc, {"apiVersion", "kind", "metadata", "spec", "status"}, "", problems)
    if doc.get("apiVersion") != API_VERSION:
        problems.add("apiVersion", f"must be {API_VERSION} for a NetworkPolicy")
    name, namespace = parse_metadata(doc.get("metadata"), problems, namespaced=True)
    namespace = namespace or "default"
    spec = doc.get("spec")
    if not isinstance(spec, dict):
        problems.add("spec", "must be a mapping with at least a podSelector")
        return None
    check_fields(spec, {"podSelector", "policyTypes", "ingress", "egress"}, "spec", problems)
    if "podSelector" in spec:
        pods = parse_selector(spec["podSelector"], "spec.podSelector", problems)
    else:
        problems.add("spec.podSelector", "is required ({} selects every pod of the namespace)")
        pods = Selector()
    subject = K8sPeer(namespace, pods, None)
    types = _policy_types(spec, problems)
    rules: dict[str, tuple[Rule, ...]] = {}
    for direction, (field_name, peer_field) in DIRECTIONS.items():
        raw = spec.get(field_name)
        if raw is not None and not isinstance(raw, list):
            problems.add(f"spec.{field_name}", "must be a list of rules")
            raw = None
        if raw and direction not in types:
            problems.add(f"spec.{field_name}", f"has rules but policyTypes leaves out {direction}, "
                                               "so Kubernetes would ignore them")
        rules[direction] = tuple(
            _parse_rule(item, f"spec.{field_name}[{i}]", peer_field, namespace, problems)
            for i, item in enumerate(raw or [])
        )
    return Policy(
        kind="NetworkPolicy", name=name, namespace=namespace, subject=subject,
        ingress=rules["Ingress"] if "Ingress" in types else (),
        egress=rules["Egress"] if "Egress" in types else (),
        isolates_ingress="Ingress" in types, isolates_egress="Egress" in types,
    )


def _policy_types(spec: dict[str, Any], problems: Problems) -> set[str]:
    raw = spec.get("policyTypes")
    if raw is None:
        # The API server's default: Ingress always, Egress only when there are egress rules.
        return {"Ingress", "Egress"} if spec.get("egress") else {"Ingress"}
    if not isinstance(raw, list) or not raw:
        problems.add("spec.policyTypes", "must be a non-empty list of Ingress and/or Egress")
        return set()
    found: set[str] = set()
    for index, value in enumerate(raw):
        if not isinstance(value, str) or value not in DIRECTIONS:
            problems.add(f"spec.policyTypes[{index}]", f"{value!r} is neither Ingress nor Egress")
        elif value in found:
            problems.add(f"spec.policyTypes[{index}]", f"{value} is listed twice")
        else:
            found.add(value)
    return found


def _parse_rule(raw: Any, path: str, peer_field: str, namespace: str, problems: Problems) -> Rule:
    if not isinstance(raw, dict):
        problems.add(path, f"a rule must be a mapping with {peer_field} and/or ports")
        return Rule(path, (), ())
    check_fields(raw, {peer_field, "ports"}, path, problems)
    peers: tuple[Peer, ...] | None = None
    raw_peers = raw.get(peer_field)
    if raw_peers is not None:
        if not isinstance(raw_peers, list):
            problems.add(f"{path}.{peer_field}", "must be a list of peers")
        else:  # an empty list, like a missing field, means every peer
            parsed = [_parse_peer(p, f"{path}.{peer_field}[{i}]", namespace, problems)
                      for i, p in enumerate(raw_peers)]
            peers = tuple(p for p in parsed if p is not None) if raw_peers else None
    ports: tuple[PortMatch, ...] | None = None
    raw_ports = raw.get("ports")
    if raw_ports is not None:
        if not isinstance(raw_ports, list):
            problems.add(f"{path}.ports", "must be a list of ports")
        elif raw_ports:
            parsed_ports = [_parse_port(p, f"{path}.ports[{i}]", problems) for i, p in enumerate(raw_ports)]
            ports = tuple(p for p in parsed_ports if p is not None)
    return Rule(path, peers, ports)


def _parse_peer(raw: Any, path: str, namespace: str, problems: Problems) -> Peer | None:
    if not isinstance(raw, dict) or not raw:
        problems.add(path, "a peer needs podSelector, namespaceSelector or ipBlock")
        return None
    check_fields(raw, {"podSelector", "namespaceSelector", "ipBlock"}, path, problems)
    if "ipBlock" in raw:
        if "podSelector" in raw or "namespaceSelector" in raw:
            problems.add(path, "ipBlock cannot be combined with podSelector or namespaceSelector")
        block = raw["ipBlock"]
        if not isinstance(block, dict):
            problems.add(f"{path}.ipBlock", "must be a mapping with cidr and optional except")
            return None
        check_fields(block, {"cidr", "except"}, f"{path}.ipBlock", problems)
        cidr = parse_cidr(block.get("cidr"), f"{path}.ipBlock.cidr", problems)
        excepts = parse_excepts(cidr, block.get("except"), f"{path}.ipBlock.except", problems)
        return CidrPeer(cidr, excepts) if cidr is not None else None
    pods = raw.get("podSelector")
    namespaces = raw.get("namespaceSelector")
    return K8sPeer(
        namespace,
        None if pods is None and "podSelector" not in raw else
        parse_selector(pods, f"{path}.podSelector", problems),
        None if namespaces is None and "namespaceSelector" not in raw else
        parse_selector(namespaces, f"{path}.namespaceSelector", problems),
    )


def _parse_port(raw: Any, path: str, problems: Problems) -> PortMatch | None:
    if not isinstance(raw, dict):
        problems.add(path, "a port must be a mapping with protocol, port and endPort")
        return None
    check_fields(raw, {"protocol", "port", "endPort"}, path, problems)
    protocol = raw.get("protocol", "TCP")
    if protocol not in PROTOCOLS:
        problems.add(f"{path}.protocol", f"{protocol!r} is not one of {', '.join(PROTOCOLS)}")
    port = parse_port_value(raw["port"], f"{path}.port", problems) if "port" in raw else None
    if "endPort" in raw and "port" not in raw:
        problems.add(f"{path}.endPort", "needs a port to start the range")
    end_port = parse_end_port(raw.get("endPort"), port, f"{path}.endPort", problems)
    return PortMatch(str(protocol), port, end_port)
