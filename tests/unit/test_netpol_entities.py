"""toEntities / fromEntities: each entity selects the peers Cilium v1.17.3 gives it (entities.py),
in both directions, as allow and deny, in namespaced and cluster-wide policies."""

from __future__ import annotations

import pytest

from harness.netpol import External, Node, PolicyError, decide, parse_policies
from harness.netpol.model import Endpoint
from tests.unit.netpol_cases import cluster
from tests.unit.test_netpol_cilium import ccnp, cnp

PEERS: dict[str, Endpoint] = {
    "own node": Node("n1", "192.168.1.11", local=True),
    "other node": Node("n2", "192.168.1.12"),
    "api server node": Node("cp", "192.168.1.10", kube_apiserver=True),
    "outside api server": External("192.168.1.5", kube_apiserver=True),
    "internet": External("203.0.113.9"),
    "pod of another namespace": cluster().pod("b/client"),
}
SELECTS = {
    "world": {"outside api server", "internet"},
    "host": {"own node"},
    "remote-node": {"other node", "api server node"},
    "kube-apiserver": {"api server node", "outside api server"},
    "cluster": {"own node", "other node", "api server node", "outside api server",
                "pod of another namespace"},
    "all": set(PEERS),
    "none": set(),
}
WEB = cluster().pod("a/web")
EXAMPLES = {
    "egress-world": cnp("p", "a", "  endpointSelector: {matchLabels: {app: web}}\n"
                                  "  egress: [{toEntities: [world, kube-apiserver]}]"),
    "ingress-deny-host": ccnp("p", "  endpointSelector: {}\n  enableDefaultDeny: {ingress: false}\n"
                                   "  ingressDeny: [{fromEntities: [host, remote-node]}]"),
}


def policy(entity: str, section: str, clusterwide: bool) -> str:
    peers = "fromEntities" if section.startswith("ingress") else "toEntities"
    spec = f"  endpointSelector: {{matchLabels: {{app: web}}}}\n  {section}: [{{{peers}: [{entity}]}}]"
    if section.endswith("Deny"):  # a deny alone would isolate too; switched off to see the deny
        spec += f"\n  enableDefaultDeny: {{{section.removesuffix('Deny')}: false}}"
    return ccnp("p", spec) if clusterwide else cnp("p", "a", spec)


def verdicts(text: str, section: str, *, allow_localhost: bool = True) -> set[str]:
    """The peers web may reach (egress sections) or that may reach web (ingress sections)."""
    policies = parse_policies(text)
    shared = cluster()
    out = section.startswith("egress")
    return {name for name, peer in PEERS.items()
            if decide(shared, policies, src=WEB if out else peer, dst=peer if out else WEB,
                      port=80, protocol="TCP", allow_localhost=allow_localhost).allowed}


@pytest.mark.parametrize("clusterwide", [False, True], ids=["cnp", "ccnp"])
@pytest.mark.parametrize("entity", list(SELECTS))
def test_an_egress_entity_allows_exactly_the_peers_it_selects(entity: str, clusterwide: bool) -> None:
    assert verdicts(policy(entity, "egress", clusterwide), "egress") == SELECTS[entity]


@pytest.mark.parametrize("clusterwide", [False, True], ids=["cnp", "ccnp"])
@pytest.mark.parametrize("entity", list(SELECTS))
def test_an_ingress_entity_allows_its_peers_and_the_own_node(entity: str, clusterwide: bool) -> None:
    text = policy(entity, "ingress", clusterwide)
    assert verdicts(text, "ingress") == SELECTS[entity] | {"own node"}
    assert verdicts(text, "ingress", allow_localhost=False) == SELECTS[entity]


@pytest.mark.parametrize("clusterwide", [False, True], ids=["cnp", "ccnp"])
@pytest.mark.parametrize("section", ["egressDeny", "ingressDeny"])
@pytest.mark.parametrize("entity", list(SELECTS))
def test_a_deny_entity_denies_exactly_its_peers(entity: str, section: str, clusterwide: bool) -> None:
    # the own node's allow-localhost does not outlive a deny
    assert verdicts(policy(entity, section, clusterwide), section) == set(PEERS) - SELECTS[entity]


def test_an_entity_rule_isolates_the_pods_it_selects_in_that_direction() -> None:
    policies = parse_policies(policy("world", "egress", clusterwide=False))
    shared = cluster()
    db, client = shared.pod("a/db"), shared.pod("b/client")
    assert not decide(shared, policies, src=WEB, dst=db, port=80, protocol="TCP").allowed
    assert decide(shared, policies, src=client, dst=WEB, port=80, protocol="TCP").allowed  # ingress untouched
    assert decide(shared, policies, src=db, dst=PEERS["own node"], port=80, protocol="TCP").allowed
    refused = decide(shared, policies, src=WEB, dst=PEERS["own node"], port=80, protocol="TCP")
    assert not refused.allowed and "isolated by CiliumNetworkPolicy a/p" in str(refused)


def test_an_ingress_entity_rule_isolates_but_the_own_node_still_gets_in() -> None:
    policies = parse_policies(policy("world", "ingress", clusterwide=True))
    shared = cluster()
    assert not decide(shared, policies, src=shared.pod("a/db"), dst=WEB, port=80, protocol="TCP").allowed
    assert not decide(shared, policies, src=PEERS["other node"], dst=WEB, port=80, protocol="TCP").allowed
    local = decide(shared, policies, src=PEERS["own node"], dst=WEB, port=80, protocol="TCP")
    assert local.allowed and "allowed from the local host (allow-localhost)" in str(local)


def test_an_entity_allow_without_default_deny_does_not_isolate() -> None:
    text = cnp("p", "a", "  endpointSelector: {matchLabels: {app: web}}\n"
                         "  enableDefaultDeny: {egress: false}\n  egress: [{toEntities: [host]}]")
    assert verdicts(text, "egress") == set(PEERS)


def test_entities_combine_with_ports() -> None:
    text = cnp("p", "a", "  endpointSelector: {matchLabels: {app: web}}\n  egress: [{toEntities: [world], "
                         "toPorts: [{ports: [{port: \"443\", protocol: TCP}]}]}]")
    policies, shared, internet = parse_policies(text), cluster(), PEERS["internet"]
    assert decide(shared, policies, src=WEB, dst=internet, port=443, protocol="TCP").allowed
    assert not decide(shared, policies, src=WEB, dst=internet, port=80, protocol="TCP").allowed


def test_cidr_rules_never_select_nodes_but_select_outside_addresses() -> None:
    text = cnp("p", "a", "  endpointSelector: {matchLabels: {app: web}}\n"
                         "  egress: [{toCIDR: [192.168.1.0/24]}]")
    assert verdicts(text, "egress") == {"outside api server"}


@pytest.mark.parametrize("entity", ["init", "health", "unmanaged", "ingress", "world-ipv4", "world-ipv6",
                                    "moon"])
def test_entities_the_engine_does_not_model_are_rejected_with_their_path(entity: str) -> None:
    spec = f"  endpointSelector: {{}}\n  egress: [{{toEntities: [world, {entity}]}}]"
    with pytest.raises(PolicyError, match=rf"spec\.egress\[0\]\.toEntities\[1\]: '{entity}' is not modelled"):
        parse_policies(cnp("p", "a", spec))


def test_the_fuzz_seeds_mean_what_they_say() -> None:
    assert verdicts(EXAMPLES["egress-world"], "egress") == SELECTS["world"] | SELECTS["kube-apiserver"]
    assert verdicts(EXAMPLES["ingress-deny-host"], "ingress") == set(PEERS) - {"own node", "other node",
                                                                             "api server node"}
