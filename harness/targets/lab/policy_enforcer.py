"""The lab's CNI policy engine: NetworkPolicy and the Cilium L3/L4 subset compiled to nftables.

Written apart from the harness's expected-reachability engine on purpose (a shared mistake
would make the check circular). One `inet` table per pod namespace: default-deny only where a
policy isolates the pod, then loopback and established/related, Cilium deny rules (they win),
then the allow rules. Drops, never rejects: Cilium drops, so a denied probe times out.
Enforced in pod namespaces only: VRRP and health traffic between nodes stays untouched.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from ipaddress import ip_address, ip_network
from typing import Any

from harness.targets.base import TargetError
from harness.targets.lab import net
from harness.targets.lab.config import LabPlan
from harness.targets.lab.pods import POD_RANGE, netns_name, pod_gateway
from harness.targets.network import Pod

TABLE = "harness_policy"
ALL = "all"
SECTIONS = (("ingress", "ingress", "accept"), ("ingressDeny", "ingress", "drop"),
            ("egress", "egress", "accept"), ("egressDeny", "egress", "drop"))


@dataclass
class Chain:
    isolated: bool = False
    allow: list[str] = field(default_factory=list)
    deny: list[str] = field(default_factory=list)


def _labels_match(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    for key, value in (selector or {}).get("matchLabels", {}).items():
        if labels.get(key) != str(value):
            return False
    for expr in (selector or {}).get("matchExpressions", []):
        key, op, values = expr["key"], expr["operator"], [str(v) for v in expr.get("values", [])]
        present = key in labels
        if (op == "In" and not (present and labels[key] in values)) or \
           (op == "NotIn" and present and labels[key] in values) or \
           (op == "Exists" and not present) or (op == "DoesNotExist" and present):
            return False
    return True


def _cilium_labels(pod: Pod, ns_labels: Mapping[str, str]) -> dict[str, str]:
    """Pod labels as Cilium sees them: plain and `k8s:`-prefixed, plus namespace identity."""
    found = dict(pod.labels)
    found["io.kubernetes.pod.namespace"] = pod.namespace
    found.update({f"io.cilium.k8s.namespace.labels.{k}": v for k, v in ns_labels.items()})
    return {**found, **{f"k8s:{k}": v for k, v in found.items()}}


class Compiler:
    def __init__(self, pods: Sequence[Pod], ns_labels: Mapping[str, Mapping[str, str]], *,
                 always: bool = False, hosts: Mapping[str, Sequence[str]] | None = None) -> None:
        self.pods = list(pods)
        self.ns_labels = ns_labels
        self.hosts = {node: tuple(addresses) for node, addresses in (hosts or {}).items()}
        """Node name -> the addresses its own traffic comes from (node address, pod gateway)."""
        self.always = always  # Cilium's policy-enforcement-mode `always`: every pod isolated
        self.ingress = {p.address: Chain() for p in pods}
        self.egress = {p.address: Chain() for p in pods}

    # --- peers and ports -------------------------------------------------------------------
    def _k8s_peer(self, peer: Mapping[str, Any], namespace: str) -> list[str]:
        if "ipBlock" in peer:
            block = peer["ipBlock"]
            excepted = block.get("except", [])
            return [f"{block['cidr']}" + (f" except {','.join(excepted)}" if excepted else "")]
        pods = self.pods
        if "namespaceSelector" in peer:
            selector = peer["namespaceSelector"]
            pods = [p for p in pods if _labels_match(selector, self.ns_labels.get(p.namespace, {}))]
        else:
            pods = [p for p in pods if p.namespace == namespace]
        if "podSelector" in peer:
            pods = [p for p in pods if _labels_match(peer["podSelector"], p.labels)]
        return [p.address for p in pods]

    def _cilium_peer(self, selector: Mapping[str, Any], namespace: str | None) -> list[str]:
        keys = {*selector.get("matchLabels", {}), *(e["key"] for e in selector.get("matchExpressions", []))}
        scoped = namespace is not None and not any("io.kubernetes.pod.namespace" in k for k in keys)
        return [p.address for p in self.pods
                if (not scoped or p.namespace == namespace)
                and _labels_match(selector, _cilium_labels(p, self.ns_labels.get(p.namespace, {})))]

    def _entity(self, entity: str, pod: Pod) -> list[str]:
        """Cilium's entities as the lab's addresses (harness/netpol/entities.py says what each
        selects): `host` is the pod's own node, `world` whatever is neither a pod nor a node."""
        own = list(self.hosts.get(pod.node, ()))
        others = [a for node, addresses in self.hosts.items() if node != pod.node for a in addresses]
        if entity == "all":
            return [ALL]
        if entity == "world":  # the gateways are inside the pod range: an nft set takes no overlaps
            nodes = [a for a in (*own, *others) if ip_address(a) not in ip_network(POD_RANGE)]
            return [f"0.0.0.0/0 except {','.join([POD_RANGE, *nodes])}"]
        if entity == "cluster":
            return [POD_RANGE, *own, *others]
        named = {"host": own, "remote-node": others, "none": []}
        if entity not in named:
            raise TargetError(f"the lab's policy enforcement does not model the {entity!r} entity")
        return named[entity]

    def _cilium_rule_peers(self, rule: Mapping[str, Any], direction: str, namespace: str | None,
                           pod: Pod) -> list[str] | None:
        """The addresses a Cilium rule's L3 part selects for `pod`; None when it names none (all)."""
        prefix = "from" if direction == "ingress" else "to"
        if f"{prefix}Endpoints" not in rule and f"{prefix}Entities" not in rule:
            return None
        selectors, entities = rule.get(f"{prefix}Endpoints") or [], rule.get(f"{prefix}Entities") or []
        return ([a for sel in selectors for a in self._cilium_peer(sel, namespace)]
                + [a for entity in entities for a in self._entity(entity, pod)])

    @staticmethod
    def _ports(entries: Iterable[Mapping[str, Any]] | None, named: Mapping[str, int]) -> list[str]:
        """nft port matches (`tcp dport 80`), [ALL] when a rule names no port."""
        matches = []
        for entry in entries or []:
            proto = str(entry.get("protocol", "TCP")).lower()
            port = entry.get("port")
            if port is None:
                matches.append(f"meta l4proto {proto}")
                continue
            number = named.get(str(port)) if isinstance(port, str) and not port.isdigit() else int(port)
            if number is None:
                continue  # a named port the pod does not have matches nothing
            end = entry.get("endPort")
            matches.append(f"{proto} dport {number}" + (f"-{int(end)}" if end else ""))
        return matches if entries else [ALL]

    # --- rules -----------------------------------------------------------------------------
    @staticmethod
    def _lines(direction: str, peers: list[str] | None, ports: list[str], verdict: str) -> list[str]:
        field_ = "saddr" if direction == "ingress" else "daddr"
        lines = []
        for peer in peers if peers is not None else [ALL]:
            if peer != ALL and not peer:
                continue
            match = ""
            if peer != ALL:
                cidr, _, excepted = peer.partition(" except ")
                match = f"ip {field_} {cidr} " + (f"ip {field_} != {{ {excepted} }} " if excepted else "")
            for port in ports:
                lines.append(f"{match}{'' if port == ALL else port + ' '}{verdict}")
        return lines

    def _chain(self, direction: str, pod: Pod) -> Chain:
        return (self.ingress if direction == "ingress" else self.egress)[pod.address]

    def add_k8s(self, doc: Mapping[str, Any]) -> None:
        meta, spec = doc.get("metadata", {}), doc.get("spec", {})
        namespace = meta.get("namespace", "default")
        types = spec.get("policyTypes") or (["Ingress"] + (["Egress"] if "egress" in spec else []))
        selected = [p for p in self.pods if p.namespace == namespace
                    and _labels_match(spec.get("podSelector", {}), p.labels)]
        for direction in ("ingress", "egress"):
            if direction.capitalize() not in types:
                continue
            key = "from" if direction == "ingress" else "to"
            for pod in selected:
                chain = self._chain(direction, pod)
                chain.isolated = True
                for rule in spec.get(direction, []) or []:
                    peers = None if not rule.get(key) else [
                        a for peer in rule[key] for a in self._k8s_peer(peer, namespace)]
                    if peers == []:
                        continue
                    ports = self._ports(rule.get("ports"), pod.ports)
                    chain.allow += self._lines(direction, peers, ports, "accept")

    def add_cilium(self, doc: Mapping[str, Any]) -> None:
        namespace = doc.get("metadata", {}).get("namespace") if doc["kind"] == "CiliumNetworkPolicy" else None
        specs = doc.get("specs") or [doc.get("spec", {})]
        for spec in specs:
            selected = [p for p in self.pods if (namespace is None or p.namespace == namespace)
                        and _labels_match(spec.get("endpointSelector", {}),
                                          _cilium_labels(p, self.ns_labels.get(p.namespace, {})))]
            for section, direction, verdict in SECTIONS:
                if section not in spec:
                    continue
                for pod in selected:
                    chain = self._chain(direction, pod)
                    chain.isolated = True
                    for rule in spec[section] or []:
                        peers = self._cilium_rule_peers(rule, direction, namespace, pod)
                        if peers == []:
                            continue
                        ports = [p for tp in rule.get("toPorts", []) for p in tp.get("ports", [])]
                        lines = self._lines(direction, peers, self._ports(ports or None, pod.ports), verdict)
                        (chain.allow if verdict == "accept" else chain.deny).extend(lines)

    def table(self, pod: Pod, *, egress: bool) -> str:
        chains = [("input", self.ingress[pod.address])]
        if egress:
            chains.append(("output", self.egress[pod.address]))
        body = []
        for hook, chain in chains:
            # Only replies pass unjudged: a packet in a flow's original direction meets the
            # rules each time, so a conntrack entry left by an earlier policy (a UDP probe whose
            # ephemeral port repeats one from a case that allowed it) cannot let it through.
            # Cilium's allow-localhost (default `always`): the pod's own node reaches it unless
            # a deny rule says otherwise.
            local = [f"ip saddr {{ {', '.join(self.hosts[pod.node])} }} accept"] \
                if hook == "input" and self.hosts.get(pod.node) else []
            rules = ["iif lo accept", "ct direction reply accept", "ct state related accept",
                     *chain.deny, *local, *chain.allow]
            policy = "drop" if chain.isolated or self.always else "accept"
            body.append(f"    chain {hook} {{\n        type filter hook {hook} priority 0; policy {policy};\n"
                        + "".join(f"        {r}\n" for r in rules) + "    }")
        return f"table inet {TABLE} {{\n" + "\n".join(body) + "\n}\n"


def enforce(plan: LabPlan, pods: Sequence[Pod], ns_labels: Mapping[str, Mapping[str, str]],
            documents: Sequence[Mapping[str, Any]], *, egress: bool = True, always: bool = False) -> None:
    """Replace every pod's rules with those the documents call for (none: everything allowed,
    unless `always`: then nothing but what they allow)."""
    hosts = {node.name: (node.address, pod_gateway(node)) for node in plan.nodes}
    compiler = Compiler(pods, ns_labels, always=always, hosts=hosts)
    for doc in documents:
        if doc.get("kind") == "NetworkPolicy":
            compiler.add_k8s(doc)
        elif doc.get("kind") in ("CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy"):
            compiler.add_cilium(doc)

    def install(pod: Pod) -> None:
        # One transaction: add (so delete cannot fail), delete, then the new table.
        script = f"table inet {TABLE} {{}}\ndelete table inet {TABLE}\n" + compiler.table(pod, egress=egress)
        net.run("ip", "netns", "exec", netns_name(plan, pod), "nft", "-f", "-", input_text=script)

    # Every pod's table at once, as each node's agent would; returns when all are in force.
    with ThreadPoolExecutor(max_workers=min(8, len(pods) or 1)) as pool:
        list(pool.map(install, pods))


def clear(plan: LabPlan, pods: Sequence[Pod]) -> None:
    present = net.namespaces()
    for pod in pods:
        if netns_name(plan, pod) in present:
            net.run("ip", "netns", "exec", netns_name(plan, pod), "nft", "delete", "table", "inet",
                    TABLE, check=False)
