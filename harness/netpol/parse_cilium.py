"""The L3/L4 subset of CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy (cilium.io/v2).

Meanings settled here, after Cilium's policy docs:
- a CNP is namespaced: its endpointSelector, and every from/toEndpoints selector that names
  neither `io.kubernetes.pod.namespace` nor an `io.cilium.k8s.namespace.labels.` key, only match
  endpoints of the policy's namespace; a CCNP's selectors match cluster-wide (the exact rules,
  read from Cilium's source, are in cilium_scope.py);
- an empty rule `{}` selects no peer (it only switches default-deny on); a rule with only toPorts
  applies to every peer;
- a direction with any allow or deny rule goes default-deny unless `enableDefaultDeny` says no;
- deny rules win over every allow, from any kind of policy (the engine applies that).
CIDR sets may name CiliumCIDRGroups (cidr_groups.py); entities are read as entities.py says.
Fields outside L3/L4 (L7 rules, FQDNs, services, cloud groups, nodes, ICMP, entities the engine
does not model) are rejected rather than ignored, because ignoring them would make the expected
matrix wrong.
"""

from __future__ import annotations

from typing import Any

from harness.netpol.cidr_groups import parse_cidr_rule
from harness.netpol.cilium_scope import scope_peer, scope_subject, without_k8s_namespace_match
from harness.netpol.entities import SUPPORTED as ENTITIES
from harness.netpol.errors import Problems
from harness.netpol.model import (
    PROTOCOLS,
    CidrPeer,
    CiliumPeer,
    EntityPeer,
    Peer,
    Policy,
    PortMatch,
    Rule,
)
from harness.netpol.parse_common import (
    check_fields,
    parse_cidr,
    parse_end_port,
    parse_metadata,
    parse_port_value,
)
from harness.netpol.selectors import parse_selector

API_VERSION = "cilium.io/v2"
KINDS = ("CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy")
SPEC_FIELDS = {"description", "endpointSelector", "ingress", "ingressDeny", "egress", "egressDeny",
               "enableDefaultDeny", "labels"}
# field prefix per direction: peers are fromEndpoints/fromCIDR/... or toEndpoints/toCIDR/...
SECTIONS = {"ingress": "from", "ingressDeny": "from", "egress": "to", "egressDeny": "to"}


def normalize_key(key: str) -> str:
    """`k8s:app` and `any:app` both match the pod label `app`."""
    for source in ("k8s:", "any:"):
        if key.startswith(source):
            return key[len(source):]
    return key


def parse_cilium_policy(doc: dict[str, Any], problems: Problems) -> list[Policy]:
    kind = str(doc.get("kind"))
    namespaced = kind == "CiliumNetworkPolicy"
    check_fields(doc, {"apiVersion", "kind", "metadata", "spec", "specs", "status"}, "", problems)
    if doc.get("apiVersion") != API_VERSION:
        problems.add("apiVersion", f"must be {API_VERSION} for a {kind}")
    name, namespace = parse_metadata(doc.get("metadata"), problems, namespaced=namespaced)
    specs: list[tuple[str, Any]] = []
    if "spec" in doc:
        specs.append(("spec", doc["spec"]))
    if isinstance(doc.get("specs"), list):
        specs += [(f"specs[{i}]", s) for i, s in enumerate(doc["specs"])]
    elif "specs" in doc:
        problems.add("specs", "must be a list of rules")
    if not specs:
        problems.add("spec", "spec or specs must be provided")
    return [p for path, raw in specs
            if (p := _parse_spec(raw, path, kind, name, namespace, problems)) is not None]


def _parse_spec(raw: Any, path: str, kind: str, name: str, namespace: str | None,
                problems: Problems) -> Policy | None:
    if not isinstance(raw, dict):
        problems.add(path, "must be a mapping")
        return None
    check_fields(raw, SPEC_FIELDS, path, problems)
    if "endpointSelector" not in raw:
        problems.add(f"{path}.endpointSelector", "is required (nodeSelector is not supported)")
    subject = scope_subject(parse_selector(without_k8s_namespace_match(raw.get("endpointSelector", {})),
                                           f"{path}.endpointSelector", problems,
                                           normalize_key=normalize_key), namespace)
    sections: dict[str, tuple[Rule, ...]] = {}
    for section, prefix in SECTIONS.items():
        items = raw.get(section)
        if items is not None and not isinstance(items, list):
            problems.add(f"{path}.{section}", "must be a list of rules")
            items = None
        sections[section] = tuple(_parse_rule(item, f"{path}.{section}[{i}]", prefix, namespace, problems)
                                  for i, item in enumerate(items or []))
    default_deny = raw.get("enableDefaultDeny") or {}
    if not isinstance(default_deny, dict):
        problems.add(f"{path}.enableDefaultDeny", "must be a mapping with ingress and/or egress")
        default_deny = {}
    check_fields(default_deny, {"ingress", "egress"}, f"{path}.enableDefaultDeny", problems)
    has_ingress = bool(sections["ingress"] or sections["ingressDeny"])
    has_egress = bool(sections["egress"] or sections["egressDeny"])
    return Policy(
        kind=kind, name=name, namespace=namespace, subject=CiliumPeer(subject),
        ingress=sections["ingress"], egress=sections["egress"],
        ingress_deny=sections["ingressDeny"], egress_deny=sections["egressDeny"],
        isolates_ingress=has_ingress and default_deny.get("ingress", True) is not False,
        isolates_egress=has_egress and default_deny.get("egress", True) is not False,
    )


def _parse_rule(raw: Any, path: str, prefix: str, namespace: str | None, problems: Problems) -> Rule:
    if not isinstance(raw, dict):
        problems.add(path, "a rule must be a mapping")
        return Rule(path, (), ())
    known = {f"{prefix}Endpoints", f"{prefix}CIDR", f"{prefix}CIDRSet", f"{prefix}Entities", "toPorts"}
    for key in raw:
        if key not in known:
            problems.add(f"{path}.{key}", "is not supported by the expected-reachability engine "
                                          "(only the L3/L4 subset is)")
    peers: list[Peer] = []
    l3 = False
    for index, item in enumerate(_list(raw, f"{prefix}Endpoints", path, problems)):
        l3 = True
        selector = parse_selector(item, f"{path}.{prefix}Endpoints[{index}]", problems,
                                  normalize_key=normalize_key)
        peers.append(CiliumPeer(scope_peer(selector, item, namespace)))
    for index, item in enumerate(_list(raw, f"{prefix}CIDR", path, problems)):
        l3 = True
        if (cidr := parse_cidr(item, f"{path}.{prefix}CIDR[{index}]", problems)) is not None:
            peers.append(CidrPeer(cidr, selects_pods=False))
    for index, item in enumerate(_list(raw, f"{prefix}CIDRSet", path, problems)):
        l3 = True
        if (peer := parse_cidr_rule(item, f"{path}.{prefix}CIDRSet[{index}]", problems)) is not None:
            peers.append(peer)
    for index, item in enumerate(_list(raw, f"{prefix}Entities", path, problems)):
        l3 = True
        if item not in ENTITIES:
            problems.add(f"{path}.{prefix}Entities[{index}]",
                         f"{item!r} is not modelled: only {', '.join(ENTITIES)} are supported")
        else:
            peers.append(EntityPeer(item))
    ports = _parse_to_ports(raw, path, problems)
    if not l3:  # L4-only applies to every peer; the empty rule `{}` to none
        return Rule(path, None if ports is not None else (), ports)
    return Rule(path, tuple(peers), ports)


def _list(raw: dict[str, Any], key: str, path: str, problems: Problems) -> list[Any]:
    value = raw.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        problems.add(f"{path}.{key}", "must be a list")
        return []
    return value


def _parse_to_ports(raw: dict[str, Any], path: str, problems: Problems) -> tuple[PortMatch, ...] | None:
    if "toPorts" not in raw:
        return None
    found: list[PortMatch] = []
    for index, item in enumerate(_list(raw, "toPorts", path, problems)):
        where = f"{path}.toPorts[{index}]"
        if not isinstance(item, dict):
            problems.add(where, "must be a mapping with ports")
            continue
        for key in item:
            if key != "ports":
                problems.add(f"{where}.{key}", "is not supported by the expected-reachability engine (L7)")
        for position, port in enumerate(_list(item, "ports", where, problems)):
            if (match := _parse_port(port, f"{where}.ports[{position}]", problems)) is not None:
                found.append(match)
    return tuple(found) or None


def _parse_port(raw: Any, path: str, problems: Problems) -> PortMatch | None:
    if not isinstance(raw, dict):
        problems.add(path, "must be a mapping with port, protocol and endPort")
        return None
    check_fields(raw, {"port", "protocol", "endPort"}, path, problems)
    protocol = raw.get("protocol", "ANY")
    if protocol not in (*PROTOCOLS, "ANY"):
        problems.add(f"{path}.protocol", f"{protocol!r} is not one of TCP, UDP, SCTP, ANY")
    value = raw.get("port")
    if not isinstance(value, str):
        problems.add(f"{path}.port", "must be a string, e.g. \"80\" or \"http\"")
        return None
    # "0" means every port of the protocol
    port = None if value == "0" else parse_port_value(value, f"{path}.port", problems)
    end_port = parse_end_port(raw.get("endPort"), port, f"{path}.endPort", problems)
    return PortMatch(None if protocol == "ANY" else str(protocol), port, end_port)
