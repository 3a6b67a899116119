"""Which namespace a Cilium endpoint selector is confined to, as Cilium v1.17.3 decides it.

Read from cilium/cilium v1.17.3 (commit 3993bd066abc): `getEndpointSelector` and
`ParseToCiliumRule` in pkg/k8s/apis/cilium.io/utils/utils.go, `EndpointSelector.UnmarshalJSON`,
`HasKey`, `HasKeyPrefix` and `AddMatch` in pkg/policy/api/selector.go, `GetExtendedKeyFrom` in
pkg/labels/labels.go. In short:
- a key is first rewritten to its extended form `<source>.<key>`: `k8s:app` -> `k8s.app`, a bare
  `app` -> `any.app` (no source means any source);
- a from/toEndpoints selector of a CiliumNetworkPolicy is left open when it has a key
  `k8s.`/`any.` + `io.kubernetes.pod.namespace`, or a key starting with `k8s.`/`any.` +
  `io.cilium.k8s.namespace.labels.`; otherwise `k8s:io.kubernetes.pod.namespace=<ns>` is added;
- the endpointSelector of a CiliumNetworkPolicy always gets `k8s:io.kubernetes.pod.namespace=<ns>`
  as a matchLabel, replacing a user's own matchLabel of that exact key (Cilium logs a warning);
  an `any:` one stays and is ANDed, as do matchExpressions;
- a CiliumClusterwideNetworkPolicy's peers without a namespace key get
  `k8s:io.kubernetes.pod.namespace Exists`; every pod the engine models carries that label and no
  External does, so that requirement changes no verdict and is not added here.
"""

from __future__ import annotations

from typing import Any

from harness.netpol.model import CILIUM_NAMESPACE_LABEL, CILIUM_NAMESPACE_LABELS_PREFIX
from harness.netpol.selectors import Requirement, Selector

NAMESPACE_KEYS = {f"k8s.{CILIUM_NAMESPACE_LABEL}", f"any.{CILIUM_NAMESPACE_LABEL}"}
NAMESPACE_LABEL_PREFIXES = (f"k8s.{CILIUM_NAMESPACE_LABELS_PREFIX}", f"any.{CILIUM_NAMESPACE_LABELS_PREFIX}")


def extended_key(key: str) -> str:
    """Cilium's `GetExtendedKeyFrom`: `src:key` -> `src.key`, `$key` -> `reserved.key`, `key` -> `any.key`."""
    if key.startswith("$"):
        return f"reserved.{key[1:]}"
    source, colon, rest = key.partition(":")
    if not colon:
        return f"any.{key}"
    return f"{source}.{rest}"


def selector_keys(raw: Any) -> list[str]:
    """The extended keys a selector's YAML names, in matchLabels and matchExpressions."""
    if not isinstance(raw, dict):
        return []
    labels = raw.get("matchLabels")
    keys = [k for k in labels if isinstance(k, str)] if isinstance(labels, dict) else []
    expressions = raw.get("matchExpressions")
    if isinstance(expressions, list):
        keys += [e["key"] for e in expressions if isinstance(e, dict) and isinstance(e.get("key"), str)]
    return [extended_key(k) for k in keys]


def leaves_namespace_open(raw: Any) -> bool:
    """Whether a CNP's from/toEndpoints selector escapes the policy's namespace."""
    keys = selector_keys(raw)
    return any(k in NAMESPACE_KEYS or k.startswith(NAMESPACE_LABEL_PREFIXES) for k in keys)


def scope_peer(selector: Selector, raw: Any, namespace: str | None) -> Selector:
    """A from/toEndpoints selector as Cilium stores it for a policy in `namespace` (None: CCNP)."""
    if namespace is None or leaves_namespace_open(raw):
        return selector
    return selector.with_requirement(Requirement(CILIUM_NAMESPACE_LABEL, "In", (namespace,)))


def without_k8s_namespace_match(raw: Any) -> Any:
    """An endpointSelector's YAML less the matchLabel that Cilium's `AddMatch` overwrites."""
    if not isinstance(raw, dict) or not isinstance(raw.get("matchLabels"), dict):
        return raw
    kept = {k: v for k, v in raw["matchLabels"].items()
            if not (isinstance(k, str) and extended_key(k) == f"k8s.{CILIUM_NAMESPACE_LABEL}")}
    return {**raw, "matchLabels": kept}


def scope_subject(selector: Selector, namespace: str | None) -> Selector:
    """The endpointSelector of a CNP always selects in its own namespace; a CCNP's is kept."""
    if namespace is None:
        return selector
    return selector.with_requirement(Requirement(CILIUM_NAMESPACE_LABEL, "In", (namespace,)))
