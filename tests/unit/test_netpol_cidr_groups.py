"""CiliumCIDRGroup objects and the CIDR-set entries naming them (harness/netpol/cidr_groups.py).

Two groups: vpn (role=vpn: 10.48.0.0/24 and 10.16.0.0/24) and office (role=office: 192.0.2.0/24).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.netpol import PolicyError, load_policies, parse_policies
from tests.unit.netpol_cases import allowed, why

GROUPS = """apiVersion: cilium.io/v2alpha1
kind: CiliumCIDRGroup
metadata: {name: vpn, labels: {role: vpn}}
spec: {externalCIDRs: [10.48.0.0/24, 10.16.0.0/24]}
---
apiVersion: cilium.io/v2alpha1
kind: CiliumCIDRGroup
metadata: {name: office, labels: {role: office}}
spec: {externalCIDRs: [192.0.2.0/24]}
---
"""


def cnp(namespace: str, app: str, rules: str) -> str:
    return (f"apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\n"
            f"metadata: {{name: p, namespace: {namespace}}}\n"
            f"spec:\n  endpointSelector: {{matchLabels: {{app: {app}}}}}\n{rules}\n---\n")


def from_set(entry: str, *, deny: bool = False) -> str:
    """A policy on a/web: ingress (or ingressDeny, default deny off) from one CIDR-set entry."""
    if deny:
        return cnp("a", "web", "  enableDefaultDeny: {ingress: false}\n"
                               f"  ingressDeny: [{{fromCIDRSet: [{entry}]}}]")
    return cnp("a", "web", f"  ingress: [{{fromCIDRSet: [{entry}]}}]")


def to_set(entry: str, *, deny: bool = False) -> str:
    """A policy on b/client: egress (or egressDeny, default deny off) to one CIDR-set entry."""
    if deny:
        return cnp("b", "client", "  enableDefaultDeny: {egress: false}\n"
                                  f"  egressDeny: [{{toCIDRSet: [{entry}]}}]")
    return cnp("b", "client", f"  egress: [{{toCIDRSet: [{entry}]}}]")


BY_NAME = "{cidrGroupRef: vpn}"
BY_LABEL = "{cidrGroupSelector: {matchLabels: {role: vpn}}}"
BY_NAME_LABEL = ("{cidrGroupSelector: {matchExpressions: [{key: io.cilium.policy.cidrgroupname/vpn, "
                 "operator: Exists}]}}")
CHOICES = {"by name": BY_NAME, "by label": BY_LABEL, "by name label": BY_NAME_LABEL}
EXAMPLES = {"groups": GROUPS} | {
    f"{direction} {'deny' if deny else 'allow'} {choice}": GROUPS + build(entry, deny=deny)
    for choice, entry in CHOICES.items() for deny in (False, True)
    for direction, build in (("ingress", from_set), ("egress", to_set))
} | {"except": GROUPS + from_set("{cidrGroupRef: vpn, except: [10.48.0.128/25, 172.16.0.0/12]}")}


@pytest.mark.parametrize("choice", CHOICES)
def test_an_ingress_allow_from_a_group_admits_its_addresses_only(choice: str) -> None:
    text = EXAMPLES[f"ingress allow {choice}"]
    assert allowed(text, "10.48.0.5", "a/web") and allowed(text, "10.16.0.200", "a/web")
    assert not allowed(text, "192.0.2.1", "a/web") and not allowed(text, "10.48.1.1", "a/web")
    assert not allowed(text, "b/client", "a/web")  # pods are never matched by CIDR


@pytest.mark.parametrize("choice", CHOICES)
def test_an_ingress_deny_from_a_group_denies_its_addresses_only(choice: str) -> None:
    text = EXAMPLES[f"ingress deny {choice}"]
    assert not allowed(text, "10.48.0.5", "a/web")
    assert "denied by CiliumNetworkPolicy a/p" in why(text, "10.48.0.5", "a/web")
    assert allowed(text, "192.0.2.1", "a/web") and allowed(text, "b/client", "a/web")


@pytest.mark.parametrize("choice", CHOICES)
def test_egress_allow_and_deny_to_a_group(choice: str) -> None:
    allow, deny = EXAMPLES[f"egress allow {choice}"], EXAMPLES[f"egress deny {choice}"]
    assert allowed(allow, "b/client", "10.16.0.9") and not allowed(allow, "b/client", "192.0.2.9")
    assert not allowed(allow, "b/client", "a/web")
    assert not allowed(deny, "b/client", "10.16.0.9") and allowed(deny, "b/client", "192.0.2.9")


def test_except_cuts_out_of_a_group_and_need_not_lie_inside_it() -> None:
    text = EXAMPLES["except"]
    assert allowed(text, "10.48.0.5", "a/web") and allowed(text, "10.16.0.5", "a/web")
    assert not allowed(text, "10.48.0.200", "a/web")


def test_a_selector_picks_every_group_with_the_label() -> None:
    groups = GROUPS.replace("{role: office}", "{role: vpn}")
    assert allowed(groups + from_set(BY_LABEL), "192.0.2.1", "a/web")
    assert not allowed(groups + from_set(BY_NAME), "192.0.2.1", "a/web")


def test_a_group_that_is_not_there_matches_nothing_as_in_cilium() -> None:
    text = from_set("{cidrGroupRef: absent}") + from_set(BY_LABEL).replace("name: p,", "name: q,")
    assert not allowed(text, "10.48.0.5", "a/web")
    assert "isolated by CiliumNetworkPolicy a/p, CiliumNetworkPolicy a/q" in why(text, "10.48.0.5", "a/web")


def test_groups_in_another_file_are_seen(tmp_path: Path) -> None:
    (tmp_path / "groups.yaml").write_text(GROUPS)
    (tmp_path / "policy.yaml").write_text(from_set(BY_NAME))
    [policy] = load_policies([tmp_path / "policy.yaml", tmp_path / "groups.yaml"])
    [rule] = policy.ingress
    assert [str(p) for p in rule.peers or ()] == ["cidr group vpn"]
    networks = {str(n) for p in rule.peers or () for n in getattr(p, "networks", ())}
    assert networks == {"10.48.0.0/24", "10.16.0.0/24"}


def test_a_group_peer_no_longer_rejects_the_rest_of_the_set() -> None:
    text = EXAMPLES["ingress allow by name"] + cnp("b", "client", "  ingress: [{}]")
    assert len(parse_policies(text)) == 2
    assert not allowed(text, "a/db", "b/client")


@pytest.mark.parametrize(("text", "message"), [
    (from_set("{cidr: 10.0.0.0/8, cidrGroupRef: vpn}"),
     r"fromCIDRSet\[0\]: needs exactly one of cidr, cidrGroupRef, cidrGroupSelector "
     r"\(has cidr and cidrGroupRef\)"),
    (from_set("{except: [10.0.0.0/8]}"), r"fromCIDRSet\[0\]: needs exactly one of"),
    (from_set("{cidrGroupSelector: {}}"), r"cidrGroupSelector: an empty selector selects every peer"),
    (from_set("{cidrGroupRef: Not_A_Name}"),
     r"cidrGroupRef: 'Not_A_Name' is not a valid CiliumCIDRGroup name"),
    (from_set("{cidrGroupRef: vpn, except: [nonsense]}"), r"except\[0\]: 'nonsense' is not a CIDR"),
    (from_set("{cidr: 10.0.0.0/16, except: [10.1.0.0/24]}"),
     r"except\[0\]: 10.1.0.0/24 is not inside 10.0.0.0/16"),
    (GROUPS + GROUPS, r"<text>#2: metadata.name: CiliumCIDRGroup vpn is also defined in <text>#0"),
    (GROUPS.replace("externalCIDRs: [192.0.2.0/24]", "cidrs: [192.0.2.0/24]"),
     r"<text>#1: spec.externalCIDRs: is required"),
    (GROUPS.replace("[10.48.0.0/24, 10.16.0.0/24]", "[10.48.0.0/24, 10.16.0.0]"),
     r"spec.externalCIDRs\[1\]: '10.16.0.0' is not a CIDR"),
    (GROUPS.replace("v2alpha1\nkind: CiliumCIDRGroup\nmetadata: {name: vpn", "v1\nkind: CiliumCIDRGroup\n"
                    "metadata: {name: vpn", 1), r"apiVersion: must be cilium.io/v2alpha1 or cilium.io/v2"),
])
def test_bad_groups_and_group_entries_are_problems_with_paths(text: str, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        parse_policies(text)


def test_the_group_api_version_of_newer_cilium_is_accepted_too() -> None:
    assert allowed(GROUPS.replace("v2alpha1", "v2") + from_set(BY_NAME), "10.48.0.5", "a/web")
