"""CiliumCIDRGroup objects and the CIDR-set entries that name them (cidrGroupRef, cidrGroupSelector).

After Cilium v1.17.3 (pkg/policy/api/cidr.go `CIDRRule`, `GetAsEndpointSelectors`;
pkg/policy/api/rule_validation.go `CIDRRule.sanitize`; pkg/k8s/apis/cilium.io/v2alpha1/
cidrgroups_types.go; pkg/ipcache/metadata.go `mergeParentLabels`, `resolveLabels`):
- a CIDR-set entry has exactly one of cidr, cidrGroupRef and cidrGroupSelector;
- its `except` CIDRs become `DoesNotExist` on their CIDR labels whatever the main field is; only
  for `cidr` must they lie inside it (sanitize returns before that check for groups);
- a group's prefixes carry `cidrgroup:` labels (the group's own labels and
  `io.cilium.policy.cidrgroupname/<name>`), and longer prefixes inherit them, so an address matches
  when it lies inside any CIDR of a chosen group and outside every except;
- pod addresses are in-cluster identities and never carry cidrgroup labels.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.netpol.errors import Problems
from harness.netpol.model import CidrGroupPeer, CidrPeer, IPNetwork, Peer, Policy, Rule
from harness.netpol.parse_common import check_fields, parse_cidr, parse_excepts, parse_metadata
from harness.netpol.selectors import parse_selector

KIND = "CiliumCIDRGroup"
# v1.17.3 serves v2alpha1 only; main (1.20.0-dev) serves v2 and still v2alpha1, deprecated
API_VERSIONS = ("cilium.io/v2alpha1", "cilium.io/v2")
GROUP_NAME_LABEL = "io.cilium.policy.cidrgroupname"
_GROUP_REF = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


@dataclass(frozen=True)
class CidrGroup:
    name: str
    labels: Mapping[str, str] = field(default_factory=dict)
    cidrs: tuple[IPNetwork, ...] = ()

    def selector_labels(self) -> dict[str, str]:
        """What a cidrGroupSelector is matched against: the group's labels and its name label."""
        return {**self.labels, f"{GROUP_NAME_LABEL}/{self.name}": ""}


def parse_cidr_group(doc: dict[str, Any], problems: Problems) -> CidrGroup | None:
    check_fields(doc, {"apiVersion", "kind", "metadata", "spec", "status"}, "", problems)
    if doc.get("apiVersion") not in API_VERSIONS:
        problems.add("apiVersion", f"must be {' or '.join(API_VERSIONS)} for a {KIND}")
    name, _ = parse_metadata(doc.get("metadata"), problems, namespaced=False)
    spec = doc.get("spec")
    if not isinstance(spec, dict):
        problems.add("spec", "must be a mapping with externalCIDRs")
        return None
    check_fields(spec, {"externalCIDRs"}, "spec", problems)
    raw = spec.get("externalCIDRs")
    if not isinstance(raw, list):
        problems.add("spec.externalCIDRs", "is required: a list of CIDRs (it may be empty)")
        return None
    cidrs = [parse_cidr(item, f"spec.externalCIDRs[{i}]", problems) for i, item in enumerate(raw)]
    labels = (doc.get("metadata") or {}).get("labels") or {}
    return CidrGroup(name, dict(labels) if isinstance(labels, dict) else {},
                     tuple(c for c in cidrs if c is not None))


def _group_excepts(raw: Any, path: str, problems: Problems) -> tuple[IPNetwork, ...]:
    """A group entry's except CIDRs: each must parse, but need not lie inside the groups."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.add(path, "must be a list of CIDRs")
        return ()
    found = [parse_cidr(item, f"{path}[{i}]", problems) for i, item in enumerate(raw)]
    return tuple(n for n in found if n is not None)


def parse_cidr_rule(raw: Any, path: str, problems: Problems) -> Peer | None:
    """One fromCIDRSet/toCIDRSet entry: a CidrPeer for `cidr`, a CidrGroupPeer for a group field."""
    if not isinstance(raw, dict):
        problems.add(path, "must be a mapping with one of cidr, cidrGroupRef, cidrGroupSelector")
        return None
    check_fields(raw, {"cidr", "cidrGroupRef", "cidrGroupSelector", "except"}, path, problems)
    chosen = [key for key in ("cidr", "cidrGroupRef", "cidrGroupSelector") if raw.get(key) is not None]
    if len(chosen) != 1:
        has = f" (has {' and '.join(chosen)})" if chosen else ""
        problems.add(path, f"needs exactly one of cidr, cidrGroupRef, cidrGroupSelector{has}")
        return None
    if chosen == ["cidr"]:
        cidr = parse_cidr(raw["cidr"], f"{path}.cidr", problems)
        excepts = parse_excepts(cidr, raw.get("except"), f"{path}.except", problems)
        return CidrPeer(cidr, excepts, selects_pods=False) if cidr is not None else None
    excepts = _group_excepts(raw.get("except"), f"{path}.except", problems)
    if chosen == ["cidrGroupRef"]:
        ref = raw["cidrGroupRef"]
        if not isinstance(ref, str) or len(ref) > 253 or not _GROUP_REF.match(ref):
            problems.add(f"{path}.cidrGroupRef", f"{str(ref)[:60]!r} is not a valid CiliumCIDRGroup name")
            return None
        return CidrGroupPeer(ref, None, excepts)
    selector = parse_selector(raw["cidrGroupSelector"], f"{path}.cidrGroupSelector", problems)
    if not selector.match_labels and not selector.expressions:
        # Cilium turns {} into a wildcard over every identity, pods included, not only groups
        problems.add(f"{path}.cidrGroupSelector", "an empty selector selects every peer in Cilium, not "
                                                 "only CIDR groups; the engine does not model it")
        return None
    return CidrGroupPeer(None, selector, excepts)


def resolve_cidr_groups(policies: Iterable[Policy], groups: Iterable[CidrGroup]) -> list[Policy]:
    """The policies with every CidrGroupPeer given the CIDRs of the groups it names."""
    by_name = {g.name: g for g in groups}

    def resolved(peer: Peer) -> Peer:
        if not isinstance(peer, CidrGroupPeer):
            return peer
        if peer.ref is not None:
            chosen = [by_name[peer.ref]] if peer.ref in by_name else []
        else:
            chosen = [g for g in by_name.values()
                      if peer.selector is not None and peer.selector.matches(g.selector_labels())]
        return dataclasses.replace(peer, networks=tuple(n for g in chosen for n in g.cidrs))

    def rules(found: tuple[Rule, ...]) -> tuple[Rule, ...]:
        return tuple(r if r.peers is None else dataclasses.replace(r, peers=tuple(map(resolved, r.peers)))
                     for r in found)

    return [dataclasses.replace(p, ingress=rules(p.ingress), egress=rules(p.egress),
                                ingress_deny=rules(p.ingress_deny), egress_deny=rules(p.egress_deny))
            for p in policies]
