"""A small cluster shared by the netpol tests: two namespaces, four pods, one named port."""

from __future__ import annotations

from harness.netpol import Cluster, ContainerPort, External, Namespace, Pod, decide, parse_policies
from harness.netpol.model import Endpoint


def cluster() -> Cluster:
    return Cluster(
        namespaces=[Namespace("a", {"team": "red"}), Namespace("b", {"team": "blue"})],
        pods=[
            Pod("a", "web", {"app": "web", "tier": "front"}, "10.0.1.1",
                (ContainerPort("http", 8080), ContainerPort("dns", 53, "UDP"))),
            Pod("a", "db", {"app": "db"}, "10.0.1.2"),
            Pod("b", "client", {"app": "client"}, "10.0.2.1"),
            Pod("b", "other", {}, "10.0.2.2", (ContainerPort("http", 9090),)),
        ],
    )


def endpoint(name: str) -> Endpoint:
    return External(name) if name[0].isdigit() else cluster().pod(name)


def allowed(policies: str, src: str, dst: str, port: int = 80, protocol: str = "TCP") -> bool:
    return decide(cluster(), parse_policies(policies), src=endpoint(src), dst=endpoint(dst),
                  port=port, protocol=protocol).allowed


def why(policies: str, src: str, dst: str, port: int = 80, protocol: str = "TCP") -> str:
    return str(decide(cluster(), parse_policies(policies), src=endpoint(src), dst=endpoint(dst),
                      port=port, protocol=protocol))


def netpol(name: str, namespace: str, spec: str) -> str:
    """A NetworkPolicy document; `spec` is YAML indented by four spaces."""
    return (f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
            f"metadata: {{name: {name}, namespace: {namespace}}}\nspec:\n{spec}\n---\n")
