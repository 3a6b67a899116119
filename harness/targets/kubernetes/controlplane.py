"""Control-plane capabilities on Kubernetes: the availability unit (`roundtrip`) is a ConfigMap
create + read + delete through the VIP; etcd members and the VIP holder come from a `NodeView`
(talosctl on Talos, the lab's own view on the Kubernetes lab)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Protocol

from harness.profile import Profile
from harness.targets.base import ControlPlane, Member, TargetError
from harness.targets.kubernetes import manifests
from harness.targets.kubernetes.api import KubeAPI
from harness.targets.kubernetes.talos import Talos, TalosError


class NodeView(Protocol):
    """What only the nodes themselves can tell: etcd's members and leader, who holds the VIP."""

    def members(self, timeout_s: float = 2.0) -> list[Member]: ...

    def vip_holder(self) -> str | None: ...


class TalosNodeView:
    """Through talosctl: `etcd status` on every control-plane node, addresses of every node."""

    def __init__(self, *, profile: Profile, talos: Talos) -> None:
        self.profile = profile
        self.talos = talos
        self._by_ip = {str(n.address): n.name for n in profile.nodes}

    def members(self, timeout_s: float = 2.0) -> list[Member]:
        nodes = self.profile.controlplane_nodes()
        try:
            rows, complaints = self.talos.etcd_status(
                [str(n.address) for n in nodes], timeout_s=max(timeout_s, 5.0)
            )
        except TalosError as error:
            return [
                Member(n.name, n.name, healthy=False, is_leader=False, error=str(error)) for n in nodes
            ]
        by_node = {self._by_ip.get(row.node, row.node): row for row in rows}
        members = []
        for node in nodes:
            row = by_node.get(node.name)
            if row is None:
                members.append(
                    Member(
                        node.name,
                        node.name,
                        healthy=False,
                        is_leader=False,
                        error=complaints or "no etcd status from this node",
                    )
                )
                continue
            problem = row.errors or (
                None if row.leader_id not in ("", "0", "0000000000000000") else "no leader"
            )
            members.append(
                Member(
                    node.name,
                    node.name,
                    healthy=problem is None,
                    is_leader=row.member_id == row.leader_id,
                    error=problem,
                    term=row.raft_term,
                )
            )
        return members

    def vip_holder(self) -> str | None:
        vip = f"{self.profile.controlplane.endpoint}/"
        found = self.talos.addresses([str(n.address) for n in self.profile.nodes], timeout_s=5.0)
        holders = sorted(
            {self._by_ip.get(node, node) for node, address in found if address.startswith(vip)}
        )
        return holders[0] if holders else None


class KubeControlPlane(ControlPlane):
    def __init__(
        self,
        *,
        profile: Profile,
        nodes: NodeView,
        api_at: Callable[[str], KubeAPI],
        namespace: Callable[[], str],
        run_id: Callable[[], str],
    ) -> None:
        self.profile = profile
        self.nodes = nodes
        self.api_at = api_at  # host:port -> an adapter whose requests go to exactly that address
        self.namespace = namespace
        self.run_id = run_id
        self._sequence = itertools.count()

    @property
    def endpoint(self) -> str:
        return f"{self.profile.controlplane.endpoint}:{self.profile.controlplane.port}"

    def members(self, timeout_s: float = 2.0) -> list[Member]:
        return self.nodes.members(timeout_s)

    def vip_holder(self) -> str | None:
        return self.nodes.vip_holder()

    def _roundtrip(self, api: KubeAPI, label: str, timeout_s: float) -> None:
        name = manifests.object_name("roundtrip", label, str(next(self._sequence)))
        value = name  # a fresh value each time: a stale read cannot pass
        body = manifests.configmap(name, run_id=self.run_id(), data={"value": value})
        namespace = self.namespace()
        # One attempt each: the roundtrip *is* the availability sample, a retry would hide outages.
        api.create_configmap(namespace, body, timeout_s=timeout_s, attempts=1)
        try:
            read = api.read_configmap(namespace, name, timeout_s=timeout_s, attempts=1)
            if (read.get("data") or {}).get("value") != value:
                raise TargetError(f"configmap {name} read back {read.get('data')!r}, wrote {value!r}")
        finally:
            api.delete_configmap(namespace, name, timeout_s=timeout_s, attempts=1)

    def roundtrip(self, timeout_s: float = 1.0) -> None:
        self._roundtrip(self.api_at(self.endpoint), "vip", timeout_s)

    def roundtrip_direct(self, node: str, timeout_s: float = 1.0) -> None:
        member = self.profile.node(node)
        if not member.is_controlplane:
            raise TargetError(f"{node} is not a control-plane node")
        self._roundtrip(
            self.api_at(f"{member.address}:{self.profile.controlplane.port}"), node, timeout_s
        )
