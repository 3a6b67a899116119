"""Kubernetes NetworkPolicy semantics, one small crafted case per rule."""

from __future__ import annotations

import pytest
import yaml

from harness.netpol import PolicyError, parse_policies
from harness.netpol.errors import Problems
from harness.netpol.selectors import parse_selector
from tests.unit.netpol_cases import allowed, netpol, why

DENY_INGRESS_A = netpol("deny-in", "a", "    podSelector: {}\n    policyTypes: [Ingress]")
DENY_EGRESS_B = netpol("deny-out", "b", "    podSelector: {}\n    policyTypes: [Egress]")


def test_without_policies_everything_is_allowed_by_default() -> None:
    assert allowed("", "b/client", "a/web")
    assert why("", "b/client", "a/web") == ("egress of b/client: default allow (not isolated); "
                                            "ingress of a/web: default allow (not isolated)")


def test_a_selected_pod_is_isolated_and_nothing_allows() -> None:
    assert not allowed(DENY_INGRESS_A, "b/client", "a/web")
    assert not allowed(DENY_INGRESS_A, "a/db", "a/web")
    assert allowed(DENY_INGRESS_A, "a/web", "b/client")  # only ingress of a is isolated
    assert why(DENY_INGRESS_A, "b/client", "a/web") == \
        "ingress of a/web: no rule allows; isolated by NetworkPolicy a/deny-in"


def test_both_the_egress_of_the_source_and_the_ingress_of_the_destination_must_allow() -> None:
    allow_in = netpol("allow-in", "a", "    podSelector: {}\n    ingress: [{}]")
    assert allowed(allow_in, "b/client", "a/web")
    assert not allowed(allow_in + DENY_EGRESS_B, "b/client", "a/web")
    assert why(allow_in + DENY_EGRESS_B, "b/client", "a/web").startswith("egress of b/client: no rule allows")


def test_policy_types_default_to_ingress_plus_egress_only_when_egress_has_rules() -> None:
    with_rules = netpol("p", "b", "    podSelector: {}\n    egress: [{to: [{podSelector: {}}]}]")
    assert not allowed(with_rules, "b/client", "a/web")  # egress isolated, only own namespace allowed
    # egress to its own namespace passes; the ingress of b/other (Ingress is always defaulted in) stops it
    assert why(with_rules, "b/client", "b/other") == \
        "ingress of b/other: no rule allows; isolated by NetworkPolicy b/p"
    empty = netpol("p", "b", "    podSelector: {}\n    egress: []")
    assert allowed(empty, "b/client", "a/web")  # no egress rules: Egress is not defaulted in
    assert not allowed(empty, "a/web", "b/client")  # but Ingress always is


def test_an_empty_rule_allows_all_and_an_empty_list_allows_nothing() -> None:
    assert allowed(netpol("p", "a", "    podSelector: {}\n    ingress: [{}]"), "b/client", "a/web")
    assert not allowed(netpol("p", "a", "    podSelector: {}\n    ingress: []"), "b/client", "a/web")
    assert allowed(netpol("p", "a", "    podSelector: {}\n    ingress: [{from: []}]"), "b/client", "a/web")


def test_a_pod_selector_peer_is_scoped_to_the_policy_namespace() -> None:
    policy = netpol("p", "a", "    podSelector: {}\n    ingress: [{from: [{podSelector: {}}]}]")
    assert allowed(policy, "a/db", "a/web")
    assert not allowed(policy, "b/client", "a/web")


def test_a_namespace_selector_alone_selects_every_pod_of_those_namespaces() -> None:
    policy = netpol("p", "a", "    podSelector: {}\n"
                              "    ingress: [{from: [{namespaceSelector: {matchLabels: {team: blue}}}]}]")
    assert allowed(policy, "b/client", "a/web") and allowed(policy, "b/other", "a/web")
    assert not allowed(policy, "a/db", "a/web")


def test_the_namespace_name_label_is_added_to_every_namespace() -> None:
    policy = netpol("p", "a", "    podSelector: {}\n    ingress: [{from: [{namespaceSelector: "
                              "{matchLabels: {kubernetes.io/metadata.name: b}}}]}]")
    assert allowed(policy, "b/client", "a/web")
    assert not allowed(policy, "a/db", "a/web")


def test_pod_and_namespace_selector_in_one_peer_are_anded_in_two_peers_ored() -> None:
    anded = netpol("p", "a", "    podSelector: {}\n    ingress: [{from: [{namespaceSelector: "
                             "{matchLabels: {team: blue}}, podSelector: {matchLabels: {app: client}}}]}]")
    assert allowed(anded, "b/client", "a/web")
    assert not allowed(anded, "b/other", "a/web")
    assert not allowed(anded, "a/db", "a/web")
    ored = netpol("p", "a", "    podSelector: {}\n    ingress: [{from: [{namespaceSelector: "
                            "{matchLabels: {team: blue}}}, {podSelector: {matchLabels: {app: db}}}]}]")
    assert allowed(ored, "b/other", "a/web") and allowed(ored, "a/db", "a/web")


@pytest.mark.parametrize(("expression", "matching"), [
    ("{key: app, operator: In, values: [web, db]}", {"web", "db"}),
    ("{key: app, operator: NotIn, values: [web]}", {"db", "none"}),  # a missing key is "not in"
    ("{key: app, operator: Exists}", {"web", "db"}),
    ("{key: app, operator: DoesNotExist}", {"none"}),
])
def test_match_expressions(expression: str, matching: set[str]) -> None:
    problems = Problems()
    selector = parse_selector(yaml.safe_load(f"{{matchExpressions: [{expression}]}}"), "s", problems)
    assert not problems
    labels = {"web": {"app": "web"}, "db": {"app": "db"}, "none": {}}
    assert {name for name, pod_labels in labels.items() if selector.matches(pod_labels)} == matching


def test_match_labels_and_expressions_are_anded() -> None:
    policy = netpol("p", "a", "    podSelector: {matchLabels: {app: web}, matchExpressions: "
                              "[{key: tier, operator: In, values: [back]}]}\n    policyTypes: [Ingress]")
    assert allowed(policy, "b/client", "a/web")  # tier=front: not selected, so not isolated


def test_ip_block_with_except_matches_addresses_and_pod_ips() -> None:
    policy = netpol("p", "a", "    podSelector: {}\n    ingress: [{from: [{ipBlock: "
                              "{cidr: 10.0.0.0/16, except: [10.0.2.2/32]}}]}]")
    assert allowed(policy, "10.0.9.9", "a/web")
    assert not allowed(policy, "10.1.0.1", "a/web")
    assert allowed(policy, "b/client", "a/web")  # pod IP 10.0.2.1 is inside
    assert not allowed(policy, "b/other", "a/web")  # 10.0.2.2 is excepted


def test_ports_default_to_tcp_and_ranges_include_both_ends() -> None:
    policy = netpol("p", "a", "    podSelector: {}\n    ingress: [{ports: [{port: 80}, "
                              "{port: 1000, endPort: 1002, protocol: UDP}, {protocol: SCTP}]}]")
    assert allowed(policy, "b/client", "a/web", 80)
    assert not allowed(policy, "b/client", "a/web", 80, "UDP")
    assert allowed(policy, "b/client", "a/web", 1000, "UDP")
    assert allowed(policy, "b/client", "a/web", 1002, "UDP")
    assert not allowed(policy, "b/client", "a/web", 1003, "UDP")
    assert allowed(policy, "b/client", "a/web", 4242, "SCTP")  # protocol without port: every port


def test_named_ports_resolve_on_the_destination_pod() -> None:
    ingress = netpol("p", "a", "    podSelector: {}\n    ingress: [{ports: [{port: http}]}]")
    assert allowed(ingress, "b/client", "a/web", 8080)
    assert not allowed(ingress, "b/client", "a/web", 80)
    assert not allowed(ingress, "b/client", "a/db", 8080)  # db has no port called http
    egress = netpol("p", "b", "    podSelector: {matchLabels: {app: client}}\n    policyTypes: [Egress]\n"
                              "    egress: [{ports: [{port: http}]}]")
    assert allowed(egress, "b/client", "a/web", 8080) and allowed(egress, "b/client", "b/other", 9090)
    assert not allowed(egress, "b/client", "b/other", 8080)
    named_udp = netpol("p", "a", "    podSelector: {}\n    ingress: [{ports: [{port: dns, protocol: UDP}]}]")
    assert allowed(named_udp, "b/client", "a/web", 53, "UDP")
    assert not allowed(named_udp, "b/client", "a/web", 53, "TCP")


def test_allows_of_several_policies_add_up() -> None:
    one = netpol("from-db", "a", "    podSelector: {}\n    ingress: [{from: [{podSelector: "
                                 "{matchLabels: {app: db}}}]}]")
    two = netpol("from-b", "a", "    podSelector: {}\n    ingress: [{from: [{namespaceSelector: {}}]}]")
    assert not allowed(one, "b/client", "a/web")
    assert allowed(one + two, "b/client", "a/web")
    assert why(one + two, "a/db", "a/web").endswith(
        "allowed by NetworkPolicy a/from-db, NetworkPolicy a/from-b")


def test_rules_for_a_direction_left_out_of_policy_types_are_rejected() -> None:
    with pytest.raises(PolicyError, match="policyTypes leaves out Egress"):
        parse_policies(netpol("p", "a", "    podSelector: {}\n    policyTypes: [Ingress]\n    egress: [{}]"))
