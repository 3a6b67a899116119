"""Cilium's namespace rules for endpoint selectors (harness/netpol/cilium_scope.py, read from v1.17.3).

The shared cluster: namespace a (team=red) holds web and db, namespace b (team=blue) holds client
and other. Each prefix form of the two namespace keys is tried in a namespaced and a cluster-wide
policy, as an allow and as a deny, for ingress and egress.
"""

from __future__ import annotations

import pytest

from harness.netpol.cilium_scope import extended_key, leaves_namespace_open
from tests.unit.netpol_cases import allowed

SOURCES = ("", "k8s:", "any:")
# selectors that pick namespace b, in matchLabels and in matchExpressions
TO_B = {
    "namespace name": "{{matchLabels: {{{src}io.kubernetes.pod.namespace: b}}}}",
    "namespace label": "{{matchLabels: {{{src}io.cilium.k8s.namespace.labels.team: blue}}}}",
    "namespace label expression": "{{matchExpressions: [{{key: {src}io.cilium.k8s.namespace.labels.team, "
                                  "operator: In, values: [blue]}}]}}",
}
TO_A = {name: form.replace(": b}", ": a}").replace("blue", "red") for name, form in TO_B.items()}


def policy(kind: str, spec: str, namespace: str) -> str:
    where = f", namespace: {namespace}" if kind == "CiliumNetworkPolicy" else ""
    return f"apiVersion: cilium.io/v2\nkind: {kind}\nmetadata: {{name: p{where}}}\nspec:\n{spec}\n"


def subject(kind: str, namespace: str, app: str) -> str:
    """An endpointSelector for `app`; a CCNP names the namespace itself."""
    extra = f", k8s:io.kubernetes.pod.namespace: {namespace}" if kind != "CiliumNetworkPolicy" else ""
    return f"  endpointSelector: {{matchLabels: {{app: {app}{extra}}}}}\n"


def ingress(kind: str, peer: str, *, deny: bool) -> str:
    """A policy on a/web whose from-peer is `peer`; a deny leaves default deny off."""
    section = "ingressDeny" if deny else "ingress"
    off = "  enableDefaultDeny: {ingress: false}\n" if deny else ""
    return policy(kind, subject(kind, "a", "web") + off + f"  {section}: [{{fromEndpoints: [{peer}]}}]", "a")


def egress(kind: str, peer: str, *, deny: bool) -> str:
    """A policy on b/client whose to-peer is `peer`."""
    section = "egressDeny" if deny else "egress"
    off = "  enableDefaultDeny: {egress: false}\n" if deny else ""
    return policy(kind, subject(kind, "b", "client") + off + f"  {section}: [{{toEndpoints: [{peer}]}}]", "b")


KINDS = ("CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy")
FORMS = [(kind, src, form) for kind in KINDS for src in SOURCES for form in TO_B]
EXAMPLES = {f"{kind} {direction} {'deny' if deny else 'allow'} {src or 'bare:'}{form}":
            build(kind, (TO_B if direction == "ingress" else TO_A)[form].format(src=src), deny=deny)
            for kind, src, form in FORMS for deny in (False, True)
            for direction, build in (("ingress", ingress), ("egress", egress))}


@pytest.mark.parametrize(("kind", "src", "form"), FORMS)
def test_an_allow_from_another_namespace_picked_by_its_name_or_labels(kind: str, src: str, form: str) -> None:
    text = ingress(kind, TO_B[form].format(src=src), deny=False)
    assert allowed(text, "b/client", "a/web") and allowed(text, "b/other", "a/web")
    assert not allowed(text, "a/db", "a/web")  # the policy's own namespace is not picked


@pytest.mark.parametrize(("kind", "src", "form"), FORMS)
def test_a_deny_from_another_namespace_picked_by_its_name_or_labels(kind: str, src: str, form: str) -> None:
    text = ingress(kind, TO_B[form].format(src=src), deny=True)
    assert not allowed(text, "b/client", "a/web") and not allowed(text, "b/other", "a/web")
    assert allowed(text, "a/db", "a/web")


@pytest.mark.parametrize(("kind", "src", "form"), FORMS)
def test_egress_allow_and_deny_to_another_namespace(kind: str, src: str, form: str) -> None:
    peer = TO_A[form].format(src=src)
    allow, deny = egress(kind, peer, deny=False), egress(kind, peer, deny=True)
    assert allowed(allow, "b/client", "a/web") and not allowed(allow, "b/client", "b/other")
    assert not allowed(deny, "b/client", "a/db") and allowed(deny, "b/client", "b/other")


@pytest.mark.parametrize("peer", ["{matchLabels: {app: client}}", "{matchLabels: {k8s:app: client}}",
                                  "{matchLabels: {any:team: blue}}", "{}"])
def test_a_cnp_peer_without_a_namespace_key_is_pinned_to_the_policy_namespace(peer: str) -> None:
    allow = ingress("CiliumNetworkPolicy", peer, deny=False)
    deny = ingress("CiliumNetworkPolicy", peer, deny=True)
    assert not allowed(allow, "b/client", "a/web")
    assert allowed(deny, "b/client", "a/web")
    # the same peer in a cluster-wide policy reaches b
    assert allowed(ingress("CiliumClusterwideNetworkPolicy", peer, deny=False), "b/client", "a/web") \
        == (peer != "{matchLabels: {any:team: blue}}")  # team is a namespace label, not a pod label


def test_a_cnp_endpoint_selector_naming_another_namespace() -> None:
    def cnp(key: str) -> str:
        return policy("CiliumNetworkPolicy", f"  endpointSelector: {{matchLabels: {{{key}: b}}}}\n"
                                             "  ingress: [{}]", "a")
    # k8s: is replaced by the policy's namespace (Cilium warns): it isolates the pods of a
    assert not allowed(cnp("k8s:io.kubernetes.pod.namespace"), "b/client", "a/web")
    assert allowed(cnp("k8s:io.kubernetes.pod.namespace"), "a/web", "b/client")
    # any: (or no source) is kept beside the namespace match, so it selects nobody
    for key in ("any:io.kubernetes.pod.namespace", "io.kubernetes.pod.namespace"):
        assert allowed(cnp(key), "b/client", "a/web") and allowed(cnp(key), "a/web", "b/client")


@pytest.mark.parametrize(("key", "extended"), [
    ("app", "any.app"), ("k8s:app", "k8s.app"), ("any:app", "any.app"), ("$host", "reserved.host"),
    ("reserved:world", "reserved.world"),
    ("k8s:io.kubernetes.pod.namespace", "k8s.io.kubernetes.pod.namespace"),
])
def test_extended_keys_follow_cilium(key: str, extended: str) -> None:
    assert extended_key(key) == extended


@pytest.mark.parametrize(("raw", "open_"), [
    ({"matchLabels": {"io.kubernetes.pod.namespace": "b"}}, True),
    ({"matchExpressions": [{"key": "k8s:io.kubernetes.pod.namespace", "operator": "Exists"}]}, True),
    ({"matchLabels": {"any:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name": "b"}}, True),
    ({"matchLabels": {"cidr:io.kubernetes.pod.namespace": "b"}}, False),  # another source
    ({"matchLabels": {"io.cilium.k8s.namespace.labelsx": "b"}}, False),
    ({"matchLabels": {"app": "b"}}, False), ({}, False), (None, False),
])
def test_which_selectors_leave_the_namespace_open(raw: object, open_: bool) -> None:
    assert leaves_namespace_open(raw) is open_
