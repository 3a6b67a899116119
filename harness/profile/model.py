"""The cluster profile: what the cluster looks like and what is expected of it.

Values only: loading and error reporting live in `load.py`, cross-field rules in `rules.py`.
Every field has a default where a sensible one exists, and a unit in its name where it has one.
"""

from __future__ import annotations

from enum import StrEnum
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

NodeName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")]


class Strict(BaseModel):
    """Base for every profile section: unknown keys are mistakes, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Role(StrEnum):
    CONTROLPLANE = "controlplane"
    WORKER = "worker"


class Node(Strict):
    name: NodeName
    address: IPv4Address
    roles: list[Role] = Field(min_length=1)
    arch: Literal["arm64", "amd64"] = "arm64"

    @property
    def is_controlplane(self) -> bool:
        return Role.CONTROLPLANE in self.roles


class ControlPlane(Strict):
    endpoint: IPv4Address
    """The shared virtual IP that clients use (Talos VIP; keepalived in the lab)."""
    port: int = Field(default=6443, ge=1, le=65535)
    """API port behind the endpoint: 6443 for Kubernetes, 2379 (etcd client) in the lab."""


class AddressRange(Strict):
    first: IPv4Address
    last: IPv4Address

    def addresses(self) -> list[IPv4Address]:
        return [IPv4Address(n) for n in range(int(self.first), int(self.last) + 1)]


class LoadBalancerPool(Strict):
    """Addresses handed to LoadBalancer services: a CIDR or an inclusive first-last range."""

    cidr: IPv4Network | None = None
    range: AddressRange | None = None

    def addresses(self) -> list[IPv4Address]:
        if self.range is not None:
            return self.range.addresses()
        return list(self.cidr.hosts()) if self.cidr is not None else []


class Switch(Strict):
    link_mbit: int = Field(default=1000, gt=0)
    """Line rate of every node's link."""
    goodput_mbit: float = Field(default=941.0, gt=0)
    """Best TCP payload rate one link carries: 941 Mbit/s on 1GbE with a 1500-byte MTU."""
    mtu: int = Field(default=1500, ge=576, le=9216)


class Replication(Strict):
    size: int = Field(default=3, ge=1)
    min_size: int = Field(default=2, ge=1)


class Storage(Strict):
    enabled: bool = True
    block_storage_class: str = "ceph-block"
    bucket_storage_class: str = "ceph-bucket"
    ceph_namespace: str = "rook-ceph"
    bench_pool: str = "replicapool"
    """RADOS pool the storage twins (`rbd bench`, `rados bench`) write their bounded data to (the
    kubernetes target; the lab uses its RBD pool)."""
    replication: Replication = Replication()


class Images(Strict):
    """Container images for tools run as pods on the kubernetes target (multi-arch, arm64 first)."""

    agnhost: str = "registry.k8s.io/e2e-test-images/agnhost:2.52"
    iperf3: str = "docker.io/networkstatic/iperf3:latest"
    fio: str = "docker.io/xridge/fio:latest"
    debug: str = "docker.io/library/alpine:3.20"
    s3bench: str = "public.ecr.aws/lambda/python:3.12"
    """Image with python3 and boto3 for the S3 benchmark Job (nothing is installed at run time;
    an image without boto3 fails the benchmark with a sentence). The default is AWS' multi-arch
    Python base image, whose runtime ships boto3."""
    warp: str = "quay.io/minio/warp:v1.6.1"
    """warp, MinIO's S3 benchmark, for the full-depth S3 Job (its `/warp`, no shell needed). The
    default is warp's own release image: its v1.6.1 `.goreleaser.yml` pushes an amd64 + arm64
    manifest, tagged with the `v`, to quay.io and Docker Hub (`minio/warp`), from an alpine base
    whose ENTRYPOINT is `/warp`. The same release the lab builds from its Go module
    (`tools/build-warp`; two dependencies there are replaced by served releases)."""
    netshoot: str = "docker.io/nicolaka/netshoot:v0.13"
    """Image with `nft` for the partition fault's pod."""
    sockperf: str | None = None
    """Image with Debian's `sockperf` package, for round trips (request/response latency) on a
    cluster. Nobody publishes a maintained multi-arch one, so the repository ships its recipe
    (`tools/images/sockperf`: build, push, set this to the pushed tag). Unset, the round trips
    are not measured on a cluster: the netperf test says so and skips."""


class Expectations(Strict):
    """Service-level objectives the suites and scenarios hold the cluster to."""

    api_unavailable_on_power_loss_max_s: float = Field(default=6.0, gt=0)
    """Longest API outage when the control-plane node holding the VIP loses power."""
    api_unavailable_on_leader_loss_max_s: float = Field(default=4.0, gt=0)
    """Longest API outage when the etcd leader is killed."""
    api_unavailable_on_follower_partition_max_s: float = Field(default=1.0, ge=0)
    """Longest API outage when a follower is cut off the switch."""
    api_roundtrip_p99_max_ms: float = Field(default=100.0, gt=0)
    api_call_p99_max_ms: float = Field(default=1000.0, gt=0)
    """p99 of single-object calls (create, get, delete) under the API load: Kubernetes' own SLO
    (sig-scalability, "API call latency") is 1 s."""
    api_list_p99_max_ms: float = Field(default=5000.0, gt=0)
    """p99 of namespace-scoped lists under the API load: the same SLO's 5 s."""
    pod_startup_max_s: float = Field(default=5.0, gt=0)
    """Slowest create -> Ready of a pod whose image is already on the node: Kubernetes' pod
    startup SLO (p99 <= 5 s, image pulls excluded)."""
    l2_failover_max_s: float = Field(default=20.0, gt=0)
    """Longest outage of a LoadBalancer IP when its announcing node loses power."""
    min_link_fraction: float = Field(default=0.95, gt=0, le=1)
    """Fraction of min(link goodput, twin path now) a throughput benchmark must reach."""
    udp_offered_fraction: float = Field(default=0.5, gt=0, le=1)
    """UDP streams are offered at this share of the link's goodput ceiling (test_netperf.py)."""
    max_udp_loss_pct: float = Field(default=1.0, ge=0, le=100)
    """Datagrams a UDP stream at the offered rate may lose, in percent (median of the runs)."""
    round_trip_p99_max_ms: float = Field(default=1.0, gt=0)
    """p99 of a TCP request/response round trip across the switch (sockperf ping-pong, one message
    in flight): a 1GbE hop and two kernels answer in well under a millisecond."""
    min_link_twin_fraction: float = Field(default=0.5, gt=0, le=1)
    """Share of the link goodput the target's twin path (`Network.link_twin`, the lab's) must
    reach: below it the machine, not the cluster, is what the run measured, and the check says so."""
    min_storage_read_fraction: float = Field(default=0.9, gt=0, le=1)
    min_storage_write_fraction: float = Field(default=0.8, gt=0, le=1)
    min_object_get_fraction: float = Field(default=0.8, gt=0, le=1)
    """S3 GET's share of min(roofline, `rados bench` read): the gateway's hop costs CPU."""
    min_object_put_fraction: float = Field(default=0.5, gt=0, le=1)
    """S3 PUT's share of min(roofline, `rados bench` write): the gateway writes each object
    through RADOS itself, in 4 MiB parts, at a cost in CPU and latency the twin does not pay."""
    min_random_read_iops: float | None = Field(default=None, gt=0)
    """4 KiB random reads (fio on RBD, queue depth 32): no link sets their ceiling, the OSDs' CPU
    and media do, so the floor is the cluster's own (None: recorded, not judged)."""
    min_random_write_iops: float | None = Field(default=None, gt=0)
    min_small_object_put_ops: float | None = Field(default=None, gt=0)
    """64 KiB S3 PUTs per second (8 clients): bound by the gateway's and OSDs' latency."""
    min_small_object_get_ops: float | None = Field(default=None, gt=0)
    min_storage_twin_fraction: float = Field(default=0.4, gt=0, le=1)
    """Share of the link roofline Ceph's own benchmark (the twin) must reach on the same path: the
    harness figures are judged against min(roofline, twin), so this is what catches a slow link."""
    min_kernel: str = Field(default="5.10", pattern=r"^\d+\.\d+$")
    """Oldest kernel a node may run: Cilium's kube-proxy replacement and L2 announcements want a
    5.10 LTS kernel or newer (Talos ships 6.x)."""
    node_os: str | None = None
    """A regular expression the nodes' PRETTY_NAME (os-release) must match, e.g. `^Talos`; None
    checks only that one is reported."""
    allowed_ceph_warnings: list[str] = Field(default_factory=list)
    storage_io_stall_on_osd_loss_max_s: float = Field(default=32.0, gt=0)
    """Longest write stall when an OSD's node loses power (Ceph's 20 s heartbeat grace + peering)."""
    storage_health_ok_after_power_on_max_s: float = Field(default=65.0, gt=0)
    """Time from the node's power-on back to HEALTH_OK."""


class LabSettings(Strict):
    """Only for the `lab` target: where it keeps state and which defects are seeded."""

    state_dir: Path = Path("/run/cluster-harness/lab")
    bridge: str = Field(default="hlab0", max_length=15)
    workstation_address: IPv4Address = IPv4Address("198.18.0.1")
    prefix_length: int = Field(default=24, ge=8, le=30)
    storage: bool = False
    """Bring Ceph up with the lab (slower); the control-plane slice does not need it."""
    defects: list[str] = Field(default_factory=list)
    """Seeded faults, see `harness.profile.defects`."""
    kubernetes: bool = False
    """Run a real Kubernetes control plane on the lab (kube-apiserver on every control-plane
    node behind the VIP, controller-manager, scheduler, one kwok per node); needs the binaries
    built by `scripts/setup` (tools/build). The VIP then serves the API on `controlplane.port`."""


class BmcSettings(Strict):
    """A Turing Pi 2 BMC that can cut and restore each node's power (its HTTP API, firmware 2.x)."""

    url: str = Field(pattern=r"^https?://")
    """Base URL of the BMC, e.g. `https://turingpi.local`."""
    username: str = "root"
    password_env: str = "TURINGPI_PASSWORD"
    """Environment variable holding the password: secrets never live in the profile."""
    verify_tls: bool = False
    """The BMC ships a self-signed certificate."""
    timeout_s: float = Field(default=5.0, gt=0)
    """Per request, in seconds."""
    slots: dict[NodeName, int] = Field(default_factory=dict)
    """Node name -> slot number on the board (1-4)."""


class KubernetesSettings(Strict):
    """Only for the `kubernetes` target: where to find credentials (environment wins if unset)."""

    kubeconfig: Path | None = None
    context: str | None = None
    talosconfig: Path | None = None
    bmc: BmcSettings | None = None
    """Optional power driver; without it a powered-off node cannot be brought back remotely."""
    create_lb_pool: bool = False
    """Create a test CiliumLoadBalancerIPPool (the profile's pool) and CiliumL2AnnouncementPolicy
    for the run's LoadBalancer services, instead of relying on the cluster's own."""
    lb_service_port: int = Field(default=80, ge=1, le=65535)
    """Port the test LoadBalancer services listen on."""
    cilium_namespace: str = "kube-system"
    """Where Cilium runs: its L2 announcement Leases (`cilium-l2announce-<ns>-<svc>`) live there."""
    preflight: bool = True
    """Before the first test, run each image the selected tests need once on every node."""
    pod_timeout_s: float | None = Field(default=None, gt=0, le=3600)
    """Seconds a pod may take from creation to Running or Succeeded, image pulls included
    (default 120; an SBC pulling a large image over a slow uplink may need more)."""
    node_driver: Literal["talos", "lab"] = "talos"
    """Who answers node operations (etcd members and leader, VIP holder, service kills,
    power, partitions): `talos` (talosctl + BMC) on a real cluster, `lab` on the Kubernetes lab."""


class Profile(Strict):
    name: str = Field(min_length=1)
    target: Literal["lab", "kubernetes"] = "lab"
    nodes: list[Node] = Field(min_length=1)
    controlplane: ControlPlane
    loadbalancer_pool: LoadBalancerPool
    switch: Switch = Switch()
    storage: Storage = Storage()
    images: Images = Images()
    expectations: Expectations = Expectations()
    lab: LabSettings = LabSettings()
    kubernetes: KubernetesSettings = KubernetesSettings()

    def controlplane_nodes(self) -> list[Node]:
        return [node for node in self.nodes if node.is_controlplane]

    def node(self, name: str) -> Node:
        for node in self.nodes:
            if node.name == name:
                return node
        known = ", ".join(n.name for n in self.nodes)
        raise KeyError(f"no node {name!r} in profile {self.name!r} (nodes: {known})")

    @property
    def quorum(self) -> int:
        return len(self.controlplane_nodes()) // 2 + 1
