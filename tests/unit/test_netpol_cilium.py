"""The L3/L4 subset of CiliumNetworkPolicy / CiliumClusterwideNetworkPolicy, one crafted case per rule."""

from __future__ import annotations

import functools
from typing import Any

import pytest
import yaml

from harness.netpol import PolicyError, parse_policies
from harness.targets.lab.kube import REFERENCE as REPO_REFERENCE
from tests.unit.netpol_cases import allowed, netpol, why
from tests.unit.test_netpol_cidr_groups import EXAMPLES as GROUP_EXAMPLES
from tests.unit.test_netpol_cilium_scope import EXAMPLES as SCOPE_EXAMPLES

CRDS = REPO_REFERENCE / "cilium"


def cnp(name: str, namespace: str, spec: str) -> str:
    return (f"apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\n"
            f"metadata: {{name: {name}, namespace: {namespace}}}\nspec:\n{spec}\n---\n")


def ccnp(name: str, spec: str) -> str:
    return (f"apiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicy\n"
            f"metadata: {{name: {name}}}\nspec:\n{spec}\n---\n")


EXAMPLES = {
    "cnp-same-namespace": cnp("p", "a", "  endpointSelector: {}\n  ingress: [{fromEndpoints: [{}]}]"),
    "cnp-from-other-namespace": cnp("p", "a", "  endpointSelector: {matchLabels: {app: web}}\n"
                                              "  ingress: [{fromEndpoints: [{matchLabels: "
                                              "{k8s:io.kubernetes.pod.namespace: b, app: client}}]}]"),
    "ccnp-all-pods": ccnp("p", "  endpointSelector: {}\n  ingress: [{fromEndpoints: [{}]}]"),
    "empty-rule": cnp("p", "a", "  endpointSelector: {}\n  ingress: [{}]"),
    "l4-only": cnp("p", "a", "  endpointSelector: {}\n  ingress: [{toPorts: [{ports: [{port: \"80\", "
                             "protocol: TCP}]}]}]"),
    "deny-client": ccnp("deny", "  endpointSelector: {matchLabels: {app: web}}\n  ingressDeny: "
                                "[{fromEndpoints: [{matchLabels: {app: client}}]}]"),
    "deny-without-default-deny": ccnp("deny", "  endpointSelector: {matchLabels: {app: web}}\n"
                                              "  enableDefaultDeny: {ingress: false}\n  ingressDeny: "
                                              "[{fromEndpoints: [{matchLabels: {app: client}}]}]"),
    "egress-deny-port": cnp("p", "b", "  endpointSelector: {}\n  egressDeny: [{toPorts: [{ports: "
                                      "[{port: \"8000\", endPort: 8100, protocol: TCP}]}]}]\n"
                                      "  enableDefaultDeny: {egress: false}"),
    "cidr-set": cnp("p", "b", "  endpointSelector: {}\n  egress: [{toCIDRSet: [{cidr: 10.0.0.0/8, "
                              "except: [10.9.0.0/16]}]}]"),
    "entities": cnp("p", "a", "  endpointSelector: {}\n  ingress: [{fromEntities: [cluster]}]"),
    "named-port": cnp("p", "a", "  endpointSelector: {}\n  ingress: [{toPorts: [{ports: [{port: http}]}]}]"),
    "namespace-labels": ccnp("p", "  endpointSelector: {matchLabels: {k8s:io.kubernetes.pod.namespace: a}}\n"
                                  "  ingress: [{fromEndpoints: [{matchLabels: "
                                  "{io.cilium.k8s.namespace.labels.team: blue}}]}]"),
}


def test_a_cnp_selects_only_endpoints_of_its_namespace() -> None:
    policy = EXAMPLES["cnp-same-namespace"]
    assert allowed(policy, "a/db", "a/web")
    assert not allowed(policy, "b/client", "a/web")  # fromEndpoints {} = own namespace only
    assert allowed(policy, "a/web", "b/other")  # b is not selected by a's CNP: not isolated


def test_a_cnp_selector_naming_the_namespace_label_reaches_that_namespace() -> None:
    policy = EXAMPLES["cnp-from-other-namespace"]
    assert allowed(policy, "b/client", "a/web")
    assert not allowed(policy, "b/other", "a/web")


def test_a_ccnp_empty_endpoint_selector_means_every_pod() -> None:
    policy = EXAMPLES["ccnp-all-pods"]
    assert allowed(policy, "b/client", "a/web") and allowed(policy, "a/web", "b/client")
    assert not allowed(policy, "10.9.9.9", "a/web")  # external addresses are not endpoints


def test_an_empty_rule_turns_default_deny_on_and_allows_nothing() -> None:
    policy = EXAMPLES["empty-rule"]
    assert not allowed(policy, "a/db", "a/web")
    assert "isolated by CiliumNetworkPolicy a/p" in why(policy, "a/db", "a/web")
    # the Kubernetes meaning of the same shape is the opposite: allow all
    assert allowed(netpol("p", "a", "    podSelector: {}\n    ingress: [{}]"), "a/db", "a/web")


def test_a_rule_with_only_to_ports_applies_to_every_peer() -> None:
    policy = EXAMPLES["l4-only"]
    assert allowed(policy, "b/client", "a/web", 80) and allowed(policy, "10.9.9.9", "a/web", 80)
    assert not allowed(policy, "b/client", "a/web", 81)
    assert not allowed(policy, "b/client", "a/web", 80, "UDP")


def test_deny_wins_over_every_allow_of_any_kind() -> None:
    allow_all_k8s = netpol("all", "a", "    podSelector: {}\n    ingress: [{}]")
    allow_all_cnp = cnp("all", "a", "  endpointSelector: {}\n  ingress: [{fromEntities: [all]}]")
    for allow in (allow_all_k8s, allow_all_cnp):
        assert not allowed(allow + EXAMPLES["deny-client"], "b/client", "a/web")
        assert allowed(allow + EXAMPLES["deny-client"], "b/other", "a/web")
    assert why(allow_all_k8s + EXAMPLES["deny-client"], "b/client", "a/web") == \
        "ingress of a/web: denied by CiliumClusterwideNetworkPolicy deny"


def test_a_deny_only_policy_isolates_unless_default_deny_is_switched_off() -> None:
    assert not allowed(EXAMPLES["deny-client"], "b/other", "a/web")  # default deny for ingress
    assert allowed(EXAMPLES["deny-without-default-deny"], "b/other", "a/web")
    assert not allowed(EXAMPLES["deny-without-default-deny"], "b/client", "a/web")


def test_egress_deny_with_a_port_range() -> None:
    policy = EXAMPLES["egress-deny-port"]
    assert allowed(policy, "b/client", "a/web", 7999)
    assert not allowed(policy, "b/client", "a/web", 8000) and not allowed(policy, "b/client", "a/web", 8100)
    assert not allowed(policy, "b/client", "10.9.9.9", 8050)
    assert allowed(policy, "a/web", "b/client", 8050)  # a is not selected


def test_cidr_set_with_except_matches_external_addresses_but_never_pods() -> None:
    policy = EXAMPLES["cidr-set"]
    assert allowed(policy, "b/client", "10.1.2.3")
    assert not allowed(policy, "b/client", "10.9.2.3")
    assert not allowed(policy, "b/client", "a/web")  # 10.0.1.1 is inside, but Cilium matches pods by identity


def test_entity_cluster_means_pods_and_not_the_world() -> None:
    assert allowed(EXAMPLES["entities"], "b/client", "a/web")
    assert not allowed(EXAMPLES["entities"], "10.9.9.9", "a/web")


def test_named_ports_in_to_ports() -> None:
    assert allowed(EXAMPLES["named-port"], "b/client", "a/web", 8080)
    assert not allowed(EXAMPLES["named-port"], "b/client", "a/db", 8080)


def test_namespace_labels_are_selectable_through_the_cilium_prefix() -> None:
    assert allowed(EXAMPLES["namespace-labels"], "b/other", "a/web")
    assert not allowed(EXAMPLES["namespace-labels"], "a/db", "a/web")


@pytest.mark.parametrize(("spec", "message"), [
    ("  endpointSelector: {}\n  egress: [{toFQDNs: [{matchName: example.org}]}]",
     "toFQDNs: is not supported"),
    ("  endpointSelector: {}\n  ingress: [{toPorts: [{ports: [{port: \"80\"}], rules: {http: [{}]}}]}]",
     "rules: is not supported"),
    ("  endpointSelector: {}\n  ingress: [{toPorts: [{ports: [{port: 80}]}]}]", "must be a string"),
    ("  endpointSelector: {}\n  ingress: [{fromEntities: [health]}]", "only all, world, host"),
    ("  endpointSelector: {}\n  ingress: [{fromGroups: [{aws: {}}]}]", "fromGroups: is not supported"),
    ("  ingress: [{}]", "endpointSelector: is required"),
])
def test_fields_outside_the_l3_l4_subset_are_rejected(spec: str, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        parse_policies(cnp("p", "a", spec))


def _unknown_fields(value: Any, schema: dict[str, Any], path: str) -> list[str]:
    """Fields of `value` the CRD's structural schema does not declare."""
    if isinstance(value, dict) and "properties" in schema:
        found = []
        for key, item in value.items():
            if key not in schema["properties"]:
                found.append(f"{path}.{key}")
            else:
                found += _unknown_fields(item, schema["properties"][key], f"{path}.{key}")
        return found
    if isinstance(value, list) and "items" in schema:
        return [f for i, item in enumerate(value)
                for f in _unknown_fields(item, schema["items"], f"{path}[{i}]")]
    return []


@functools.cache
def _spec_schema(version: str, plural: str) -> dict[str, Any]:
    crd = yaml.load((CRDS / version / f"{plural}.yaml").read_text(), Loader=yaml.CSafeLoader)
    spec: dict[str, Any] = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    return spec


PLURALS = {"CiliumNetworkPolicy": "ciliumnetworkpolicies",
           "CiliumClusterwideNetworkPolicy": "ciliumclusterwidenetworkpolicies",
           "CiliumCIDRGroup": "ciliumcidrgroups"}
# every Cilium manifest the netpol tests evaluate, by module
ALL_EXAMPLES = {"cilium": EXAMPLES, "scope": SCOPE_EXAMPLES, "cidr groups": GROUP_EXAMPLES}


@pytest.mark.parametrize("version", ["v1.17.3", "main-20260621"])
@pytest.mark.parametrize("module", ALL_EXAMPLES)
def test_the_examples_use_only_fields_of_the_crd_schemas(version: str, module: str) -> None:
    examples = ALL_EXAMPLES[module]
    checked = 0
    for name, text in examples.items():
        for doc in yaml.safe_load_all(text):
            if not doc:
                continue
            assert _unknown_fields(doc["spec"], _spec_schema(version, PLURALS[doc["kind"]]), name) == []
            checked += 1
    assert checked >= len(examples)


def test_the_schema_check_sees_a_misspelt_field() -> None:
    spec = _spec_schema("v1.17.3", "ciliumnetworkpolicies")
    assert _unknown_fields({"ingress": [{"fromEndpoint": [{}]}]}, spec, "x") == ["x.ingress[0].fromEndpoint"]
