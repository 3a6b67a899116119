"""Cilium's policy entities (`toEntities` / `fromEntities`) and the peers they select.

Read from cilium/cilium v1.17.3 (commit 3993bd066abc): `EntitySelectorMapping` and `InitEntities`
in pkg/policy/api/entity.go, `resolveLabels` in pkg/ipcache/metadata.go. An entity is a set of
endpoint selectors over reserved labels; it selects a peer whose identity carries any of them:
- `all` is the wildcard selector: every peer;
- `world` = reserved:world (or world-ipv4 / world-ipv6 in dual stack): an address that is not in
  the cluster. Cilium gives world to every prefix that is not a node, health or ingress address
  (`resolveLabels`), whatever its range, so an `External` is world even inside a pod CIDR;
- `host` = reserved:host, the node of the endpoint the policy is enforced on; `remote-node` =
  reserved:remote-node, any other node; nodes carry no world or CIDR labels, so CIDR rules never
  select them (Cilium's default policy-cidr-match-mode);
- `kube-apiserver` = reserved:kube-apiserver, which Cilium adds to the API server's addresses:
  a node's (beside host / remote-node) or, outside the cluster, an address that stays world;
- `cluster` = host, remote-node, init, ingress, health, unmanaged, kube-apiserver and every
  endpoint labelled with the cluster's name: every pod;
- `none` selects nothing.
init, ingress, health, unmanaged and world-ipv4/-ipv6 name peers the engine does not model, so
policies naming them are rejected rather than half understood.
"""

from __future__ import annotations

from dataclasses import dataclass

HOST = "reserved:host"
REMOTE_NODE = "reserved:remote-node"
KUBE_APISERVER = "reserved:kube-apiserver"
WORLD = "reserved:world"
# `k8s:io.cilium.k8s.policy.cluster=<name>`: every endpoint of the cluster carries it
CLUSTER_ENDPOINT = "k8s:io.cilium.k8s.policy.cluster"

ALL = "all"
SELECTED_LABELS: dict[str, frozenset[str]] = {
    "world": frozenset({WORLD}),
    "host": frozenset({HOST}),
    "remote-node": frozenset({REMOTE_NODE}),
    "kube-apiserver": frozenset({KUBE_APISERVER}),
    # init, ingress, health and unmanaged are in Cilium's list too; no modelled peer carries them
    "cluster": frozenset({HOST, REMOTE_NODE, KUBE_APISERVER, CLUSTER_ENDPOINT}),
    "none": frozenset(),
}
SUPPORTED = (ALL, *SELECTED_LABELS)


def entity_selects(entity: str, identity: frozenset[str]) -> bool:
    """Whether `entity` selects a peer whose identity has these labels."""
    return entity == ALL or bool(SELECTED_LABELS[entity] & identity)


@dataclass(frozen=True)
class Node:
    """A cluster node as seen from the pod a verdict is about: `local` = the pod's own node
    (reserved:host), otherwise reserved:remote-node; `kube_apiserver` when the API server listens
    on it (host network, as kubeadm and k3s run it)."""

    name: str
    ip: str | None = None
    local: bool = False
    kube_apiserver: bool = False

    @property
    def key(self) -> str:
        return f"node/{self.name}"

    @property
    def identity(self) -> frozenset[str]:
        labels = {HOST if self.local else REMOTE_NODE}
        if self.kube_apiserver:
            labels.add(KUBE_APISERVER)
        return frozenset(labels)
