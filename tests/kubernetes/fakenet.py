"""What the fake cluster's network does, decided deterministically (no packet moves):

- **LB-IPAM**: a Service of type LoadBalancer gets the first free address of a matching
  CiliumLoadBalancerIPPool in the store (serviceSelector.matchLabels), else of the cluster's own
  pool (`cluster_pool`), written to `status.loadBalancer.ingress`.
- **L2 announcement**: Cilium's lease `kube-system/cilium-l2announce-<ns>-<svc>` appears with
  `holderIdentity` = `announcer` (a node name; "" creates no lease: nobody announces).
- **Data plane**: each LB address gets a real HTTP listener on loopback (the fake profile's pool is
  127.0.0.x) answering any path with the name of the next matching pod, round robin (or only the
  first pod with `single_backend`), so the workstation-side checks and locust run for real.
- **Connect probes** (`agnhost connect` exec'd by the harness): each (source pod, address, port,
  protocol) is decided by `allow`; by default by the expected-reachability engine run over the
  objects in the store (namespaces, pods, NetworkPolicies, CNPs, CCNPs) — so what the target
  created, where and with which labels, decides the outcome.
- **iperf3, sockperf**: a client Job's pod logs are a recorded report: iperf3's (`IPERF3_REPORT`),
  sockperf ping-pong's summary (`SOCKPERF_REPORT`, from the lab, colour codes as printed).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

from harness.netpol.engine import expected_matrix
from harness.netpol.errors import Problems
from harness.netpol.load import cluster_from_objects, parse_document
from tests.kubernetes.fakeapi import FakeKubernetes

Obj = dict[str, Any]
DATA = Path(__file__).resolve().parents[1] / "unit" / "data"
IPERF3_REPORT = DATA / "iperf3-tcp-984mbit-htb.json"
SOCKPERF_REPORT = DATA / "sockperf-ping-pong-tcp-lab.txt"
POLICY_STORES = (("networking.k8s.io/v1", "networkpolicies"), ("cilium.io/v2", "ciliumnetworkpolicies"),
                 ("cilium.io/v2", "ciliumclusterwidenetworkpolicies"))
Allow = Callable[[Obj, str, int, str], bool]
"""(source pod object, destination address, port, protocol) -> allowed?"""


@dataclass
class FakeNetwork:
    api: FakeKubernetes
    cluster_pool: list[str]
    announcer: str = "kwk1"
    lease_namespace: str = "kube-system"
    """Where Cilium runs (its Leases go there)."""
    single_backend: bool = False
    allow: Allow | None = None
    probes: list[tuple[str, str, int, str]] = field(default_factory=list)
    _listeners: dict[tuple[str, str], ThreadingHTTPServer] = field(default_factory=dict)

    def install(self) -> FakeNetwork:
        self.api.hooks.append(self._on_change)
        self.api.exec_handler = self._exec
        self.api.log_for = self._logs
        return self

    def close(self) -> None:
        for key in list(self._listeners):
            self._stop(key)

    # -- LB-IPAM, lease, data plane ------------------------------------------------------------
    def _on_change(self, event: str, resource: str, namespace: str, obj: Obj) -> None:
        name = obj["metadata"]["name"]
        if resource == "services" and event == "create" and obj["spec"].get("type") == "LoadBalancer":
            self._assign(namespace, obj)
        elif resource == "pods" and event == "create":
            self._endpoints_for(namespace, obj)
        elif resource == "services" and event == "delete":
            self._stop((namespace, name))
        elif resource == "namespaces" and event == "delete":
            for key in [k for k in self._listeners if k[0] == name]:
                self._stop(key)

    def _endpoints_for(self, namespace: str, pod: Obj) -> None:
        """The EndpointSlice controller: a ready pod becomes a ready endpoint of every ClusterIP
        Service in its namespace whose selector it matches."""
        labels = pod["metadata"].get("labels") or {}
        address = (pod.get("status") or {}).get("podIP")
        for service in list(self.api.objects.get(("v1", namespace, "services"), {}).values()):
            selector = service["spec"].get("selector") or {}
            if service["spec"].get("type") != "ClusterIP" or not address or not selector or any(
                    labels.get(k) != v for k, v in selector.items()):
                continue
            name = service["metadata"]["name"]
            self.api.put("discovery.k8s.io/v1", "endpointslices", {
                "metadata": {"name": f"{name}-{pod['metadata']['name']}", "namespace": namespace,
                             "labels": {"kubernetes.io/service-name": name}},
                "addressType": "IPv4",
                "endpoints": [{"addresses": [address], "conditions": {"ready": True}}]}, namespace)

    def _pool_for(self, service: Obj) -> list[str]:
        labels = service["metadata"].get("labels") or {}
        for version in ("v2alpha1", "v2"):
            for pool in self.api.objects.get((f"cilium.io/{version}", "", "ciliumloadbalancerippools"),
                                             {}).values():
                wanted = ((pool["spec"].get("serviceSelector") or {}).get("matchLabels") or {})
                if all(labels.get(k) == v for k, v in wanted.items()):
                    return [str(IPv4Address(int(IPv4Address(b["start"])) + i))
                            for b in pool["spec"]["blocks"]
                            for i in range(int(IPv4Address(b["stop"])) - int(IPv4Address(b["start"])) + 1)]
        return self.cluster_pool

    def _assign(self, namespace: str, service: Obj) -> None:
        used = {s.server_address[0] for s in self._listeners.values()}
        ip = next(a for a in self._pool_for(service) if a not in used)
        with self.api.lock:
            service["status"] = {"loadBalancer": {"ingress": [{"ip": ip, "ipMode": "VIP"}]}}
        name = service["metadata"]["name"]
        if self.announcer:
            self.api.put("coordination.k8s.io/v1", "leases", {
                "metadata": {"name": f"cilium-l2announce-{namespace}-{name}",
                             "namespace": self.lease_namespace},
                "spec": {"holderIdentity": self.announcer, "leaseDurationSeconds": 15}}, self.lease_namespace)
        selector = service["spec"].get("selector") or {}
        server = ThreadingHTTPServer((ip, int(service["spec"]["ports"][0]["port"])),
                                     self._backend_handler(namespace, selector))
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        self._listeners[(namespace, name)] = server

    def _stop(self, key: tuple[str, str]) -> None:
        server = self._listeners.pop(key, None)
        if server is not None:
            server.shutdown()
            server.server_close()

    def _backend_handler(self, namespace: str, selector: dict[str, str]) -> type[BaseHTTPRequestHandler]:
        api, turn, single = self.api, itertools.count(), self.single_backend

        class Backend(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                names = sorted(n for n, p in api.objects.get(("v1", namespace, "pods"), {}).items()
                               if all((p["metadata"].get("labels") or {}).get(k) == v
                                      for k, v in selector.items()))
                body = (names[0] if single else names[next(turn) % len(names)]).encode() if names else b""
                self.send_response(200 if names else 503)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Backend

    # -- exec: connect probes ----------------------------------------------------------------------
    def _exec(self, namespace: str, pod: str, argv: list[str]) -> tuple[str, str, int]:
        if argv[:2] != ["sh", "-c"] or argv[3:4] != ["connect"]:
            return "", f"the fake network cannot run {argv[:3]}", 126
        protocol, destinations = argv[4].upper(), argv[6:]
        source = self.api.get("v1", "pods", pod, namespace)
        assert source is not None, f"exec in a pod that does not exist: {namespace}/{pod}"
        lines = []
        for destination in destinations:
            address, _, port = destination.rpartition(":")
            self.probes.append((f"{namespace}/{pod}", address, int(port), protocol))
            allowed = (self.allow or self._engine_allows)(source, address, int(port), protocol)
            lines.append(f"{destination} 0 " if allowed else f"{destination} 1 TIMEOUT")
        return "\n".join(lines) + "\n", "", 0

    def _engine_allows(self, source: Obj, address: str, port: int, protocol: str) -> bool:
        with self.api.lock:
            namespaces = [
                {"metadata": {"name": n, "labels": {**(o["metadata"].get("labels") or {}),
                                                    "kubernetes.io/metadata.name": n}}}
                for n, o in self.api.objects.get(("v1", "", "namespaces"), {}).items()]
            pods = [p for (gv, _, kind), store in self.api.objects.items() if (gv, kind) == ("v1", "pods")
                    for p in store.values() if (p.get("status") or {}).get("phase") == "Running"]
            documents = [d for (gv, _, kind), store in self.api.objects.items()
                         if (gv, kind) in POLICY_STORES for d in store.values()]
        problems = Problems()
        policies = [p for d in documents for p in parse_document(d, problems)]
        assert not problems, f"the fake cannot read a stored policy: {problems.items}"
        target = next(p for p in pods if p["status"].get("podIP") == address)
        key = lambda p: f"{p['metadata']['namespace']}/{p['metadata']['name']}"  # noqa: E731
        matrix = expected_matrix(cluster_from_objects(namespaces=namespaces, pods=pods), policies,
                                 [(port, protocol)], pods=[key(source), key(target)])
        return matrix.allowed(key(source), key(target), port, protocol)

    # -- logs: iperf3, sockperf ----------------------------------------------------------------------
    def _logs(self, pod: Obj) -> str | None:
        command = pod["spec"]["containers"][0].get("command") or []
        if command[:2] == ["iperf3", "--client"]:
            return IPERF3_REPORT.read_text()
        if command[:2] == ["sockperf", "ping-pong"]:
            return SOCKPERF_REPORT.read_text()
        return None
