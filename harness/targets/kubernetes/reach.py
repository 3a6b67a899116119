"""How a session reaches the Kubernetes API: the kubeconfig's server, or around a dead VIP.

A homelab's kubeconfig names the control-plane VIP. When the VIP itself is what is broken
(keepalived or Talos' VIP controller down, the address on the wrong node), refusing to start
would hide the very fault the VIP checks exist to report. Every Talos control-plane node serves
the API on its own address too (KubePrism, Talos' node-local balancer, relies on that), so the
session goes to the first control-plane node that answers and says so; the checks that go
through the VIP still go through it, and fail with their own sentence.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from harness.errors import HarnessError
from harness.profile import Profile
from harness.targets.kubernetes.api import KubeAPI
from harness.targets.kubernetes.errors import APIError


@dataclass(frozen=True)
class Reached:
    api: KubeAPI
    sentence: str
    """What the user is told: which address the session uses instead, and why."""


def names_the_vip(profile: Profile, server: str) -> bool:
    """Whether the kubeconfig's server is the profile's control-plane endpoint (host and port)."""
    parts = urlsplit(server)
    endpoint = profile.controlplane
    return parts.hostname == str(endpoint.endpoint) and (parts.port or 443) == endpoint.port


def around_the_vip(profile: Profile, server: str, vip_error: APIError, *,
                   pinned: Callable[[str], KubeAPI], timeout_s: float) -> Reached:
    """The API through the first control-plane node that answers `/version` directly, when the
    kubeconfig names the VIP and the VIP did not answer; otherwise one sentence saying the API is
    unreachable (and, for the VIP, what each node said)."""
    unreachable = f"the Kubernetes API at {server} is unreachable: {vip_error}"
    if not names_the_vip(profile, server):
        raise HarnessError(unreachable) from None
    refused: list[str] = []
    for node in profile.controlplane_nodes():
        address = f"{node.address}:{profile.controlplane.port}"
        api = pinned(address)
        try:
            api.version(timeout_s=timeout_s, attempts=1)
        except APIError as error:
            refused.append(f"{node.name} ({address}): {error}")
            continue
        return Reached(api, (
            f"the Kubernetes API through the VIP {server} does not answer ({vip_error}); this run "
            f"reaches it through {node.name} at {address} directly, and the checks through the VIP "
            "will say what is wrong with it"))
    raise HarnessError(f"{unreachable}; nor does any control-plane node answer on its own address: "
                       + "; ".join(refused)) from None
