"""Who may talk to whom: the Kubernetes isolation rules plus Cilium's deny precedence.

For one direction (egress of the source, ingress of the destination), in this order:
1. a matching deny rule of any policy selecting the endpoint denies;
2. an endpoint no policy isolates for that direction is allowed ("default allow");
3. otherwise it is allowed iff some allow rule of a policy selecting the endpoint matches.
A connection is allowed iff both directions allow it; an External or Node endpoint has no
policies (host policies are not modelled), so only the pod side is evaluated.
Between 1 and 2, Cilium in Kubernetes lets the pod's own node in ("allow-localhost", whose `auto`
default becomes `always` in daemon/cmd/daemon.go of v1.17.3, so kubelet probes work): ingress from
the local host is allowed unless a deny rule matches it; `allow_localhost=False` is Cilium's
`--allow-localhost=policy`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from harness.netpol.entities import Node
from harness.netpol.matrix import Connection, Matrix
from harness.netpol.model import PROTOCOLS, Cluster, Endpoint, External, Pod, Policy

Direction = Literal["egress", "ingress"]


@dataclass(frozen=True)
class Side:
    """One direction's decision and the policies that made it."""

    direction: Direction
    endpoint: str
    allowed: bool
    reason: Literal["denied by", "allowed by", "default allow (not isolated)", "no rule allows; isolated by",
                    "allowed from the local host (allow-localhost)"]
    policies: tuple[str, ...] = ()

    def __str__(self) -> str:
        names = f" {', '.join(self.policies)}" if self.policies else ""
        return f"{self.direction} of {self.endpoint}: {self.reason}{names}"


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    sides: tuple[Side, ...]

    def __str__(self) -> str:
        """The deciding side(s): what denied it, or what allowed both ends."""
        shown = self.sides if self.allowed else tuple(s for s in self.sides if not s.allowed)
        return "; ".join(map(str, shown))


def decide(cluster: Cluster, policies: Sequence[Policy], *, src: Endpoint, dst: Endpoint,
           port: int, protocol: str, allow_localhost: bool = True) -> Verdict:
    """Whether `src` may open a connection to `dst` on port/protocol, and why."""
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {PROTOCOLS}, not {protocol!r}")
    sides = []
    if isinstance(src, Pod):
        sides.append(_side(cluster, policies, "egress", subject=src, peer=dst, destination=dst,
                           port=port, protocol=protocol))
    if isinstance(dst, Pod):
        sides.append(_side(cluster, policies, "ingress", subject=dst, peer=src, destination=dst,
                           port=port, protocol=protocol, allow_localhost=allow_localhost))
    return Verdict(all(s.allowed for s in sides), tuple(sides))


def _side(cluster: Cluster, policies: Sequence[Policy], direction: Direction, *, subject: Pod,
          peer: Endpoint, destination: Endpoint, port: int, protocol: str,
          allow_localhost: bool = False) -> Side:
    selecting = [p for p in policies if p.subject.matches(subject, cluster)]

    def matching(rules_of: str) -> tuple[str, ...]:
        return tuple(p.ref for p in selecting if any(
            r.matches(peer=peer, port=port, protocol=protocol, destination=destination, cluster=cluster)
            for r in getattr(p, rules_of)))

    if denied := matching(f"{direction}_deny"):
        return Side(direction, subject.key, False, "denied by", denied)
    if allow_localhost and isinstance(peer, Node) and peer.local:
        return Side(direction, subject.key, True, "allowed from the local host (allow-localhost)")
    isolating = tuple(p.ref for p in selecting if getattr(p, f"isolates_{direction}"))
    if not isolating:
        return Side(direction, subject.key, True, "default allow (not isolated)")
    if allowed := matching(direction):
        return Side(direction, subject.key, True, "allowed by", allowed)
    return Side(direction, subject.key, False, "no rule allows; isolated by", isolating)


def _port_protocols(ports: Iterable[int | tuple[int, str]]) -> list[tuple[int, str]]:
    """Numbers (TCP) or (number, protocol) as (number, protocol)."""
    return [(p, "TCP") if isinstance(p, int) else (int(p[0]), str(p[1])) for p in ports]


def expected_matrix(cluster: Cluster, policies: Sequence[Policy], ports: Iterable[int | tuple[int, str]],
                    *, pods: Iterable[str] | None = None, include_self: bool = False) -> Matrix:
    """The expected verdict for every ordered pod pair (by `namespace/name`) and port.

    `ports` are numbers (TCP) or (number, protocol); `pods` limits the pairs to those pod keys.
    """
    chosen = [cluster.pod(k) for k in pods] if pods is not None else list(cluster.pods)
    wanted = _port_protocols(ports)
    cells: dict[Connection, bool] = {}
    reasons: dict[Connection, str] = {}
    for src in chosen:
        for dst in chosen:
            if src.key == dst.key and not include_self:
                continue
            for port, protocol in wanted:
                verdict = decide(cluster, policies, src=src, dst=dst, port=port, protocol=protocol)
                key = Connection(src.key, dst.key, port, protocol)
                cells[key] = verdict.allowed
                reasons[key] = str(verdict)
    return Matrix(cells, reasons)


def expected_peer_matrix(cluster: Cluster, policies: Sequence[Policy], ports: Iterable[int | tuple[int, str]],
                         *, pod_nodes: dict[str, str], peers: Sequence[tuple[str, str, str]]) -> Matrix:
    """The expected verdicts between pods and peers outside the pods, both ways.

    `pod_nodes` maps each pod key to its node; `peers` are (kind, name, address) with kind
    `world` (an External, keyed by its address) or `node` (keyed `node/<name>`: the pod's own
    node is its `host`, any other a `remote-node`).
    """
    wanted = _port_protocols(ports)
    cells: dict[Connection, bool] = {}
    reasons: dict[Connection, str] = {}
    for pod_key, node in pod_nodes.items():
        pod = cluster.pod(pod_key)
        for kind, name, address in peers:
            peer: Endpoint = External(address) if kind == "world" else Node(name, address, local=name == node)
            for port, protocol in wanted:
                for src, dst, key in ((pod, peer, Connection(pod_key, peer.key, port, protocol)),
                                      (peer, pod, Connection(peer.key, pod_key, port, protocol))):
                    verdict = decide(cluster, policies, src=src, dst=dst, port=port, protocol=protocol)
                    cells[key] = verdict.allowed
                    reasons[key] = str(verdict)
    return Matrix(cells, reasons)
