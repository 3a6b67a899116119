"""The storage capability of a Target: Ceph health, block volumes, buckets.

Designed for both targets: the lab (hand-bootstrapped Ceph in network namespaces, tools run in a
client namespace or a node's namespace) and a real cluster (Rook: a PVC + fio Job pinned to a node,
an ObjectBucketClaim, the toolbox for `ceph status`). Suites only see the values below; the tools'
command lines and parsers live in `harness.workloads` (fio, s3bench, ceph_status, cephbench).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

from harness.targets.base import TargetError
from harness.workloads.ceph_status import CephStatus
from harness.workloads.cephbench import ObjectTwins, Twin
from harness.workloads.fio import FioJob, FioResult, IoCompletion
from harness.workloads.s3bench import S3BenchResult, S3BenchSpec
from harness.workloads.warp import WarpResult, WarpSpec


@dataclass(frozen=True)
class BlockVolume:
    """An RBD image a benchmark may write to, and what fio's `rbd` engine needs to open it."""

    pool: str
    image: str
    size_gib: float
    client_node: str | None
    """Where the I/O comes from: a node's name, or None for the target's own client host."""
    ceph_conf: str = ""
    """Lab: path of ceph.conf (the keyring is named there); empty on a cluster (the Job mounts it)."""
    client_id: str = "admin"


@dataclass(frozen=True)
class Bucket:
    """An S3 bucket with its endpoint and credentials; the keys never appear in repr or logs."""

    name: str
    endpoint: str
    """`http://host:port` of the object gateway."""
    access_key: str = field(repr=False)
    secret_key: str = field(repr=False)
    region: str = "us-east-1"


@dataclass(frozen=True)
class StorageClient:
    """Where benchmarks run from, for the roofline: its own link, or a node that hosts an OSD."""

    node: str | None
    colocated_with_osd: bool


class FioRun(ABC):
    """fio running in the background (a chaos scenario's writer): bounded by its job's runtime."""

    @abstractmethod
    def finish(self, timeout_s: float) -> FioResult:
        """Wait for fio to end (stopping it when overdue) and parse its report."""

    @abstractmethod
    def stop(self) -> None:
        """End fio now (it still writes its logs); safe to call twice."""

    @abstractmethod
    def completions(self) -> tuple[IoCompletion, ...]:
        """Every I/O that completed, from the job's latency log (empty before fio ended)."""


class Storage(ABC):
    """What suites may ask of the cluster's storage."""

    @abstractmethod
    def health(self, timeout_s: float = 10.0) -> CephStatus:
        """`ceph status` parsed: health, quorum, OSDs up/in, PG states, pools."""

    @abstractmethod
    def osd_nodes(self) -> list[str]:
        """Nodes that carry an OSD, by name."""

    @abstractmethod
    def gateway_node(self) -> str | None:
        """Node of the S3 gateway the benchmarks use (None when it is not on an OSD node)."""

    @abstractmethod
    def osd_ok_to_stop(self, node: str, timeout_s: float = 10.0) -> bool:
        """Whether Ceph says the node's OSDs can stop without any PG going inactive."""

    @abstractmethod
    def client(self, on: str | None = None) -> StorageClient:
        """Where a benchmark `on` this node (or the default client) sits, for the roofline."""

    @abstractmethod
    def block_volume(self, size_gib: float, *, on: str | None = None) -> AbstractContextManager[BlockVolume]:
        """A fresh RBD image of `size_gib`, removed on exit (its data with it)."""

    @abstractmethod
    def run_fio(self, volume: BlockVolume, job: FioJob) -> FioResult:
        """Run one fio job against the volume, from the volume's client; bounded by `job.runtime_s`."""

    @abstractmethod
    def bucket(self) -> AbstractContextManager[Bucket]:
        """A fresh, empty bucket; it and its objects are deleted on exit."""

    @abstractmethod
    def run_s3bench(self, bucket: Bucket, spec: S3BenchSpec) -> S3BenchResult:
        """PUT then GET objects into the bucket from the client; cleans its objects."""

    def run_warp(self, bucket: Bucket, spec: WarpSpec) -> WarpResult:
        """Run warp from the S3 benchmark's client against the bucket (bounded by the spec's
        duration); targets without it refuse in one sentence (their S3 figures come from boto3)."""
        raise TargetError(self.warp_refusal() or f"warp {spec.op}: refused")

    def warp_refusal(self) -> str | None:
        """Why `run_warp` cannot work on this target (one sentence), or None when it can."""
        return "this target measures S3 with boto3 only"

    @abstractmethod
    def block_write_twin(self, *, on: str | None, total_mib: int) -> Twin:
        """`rbd bench` sequential 4 MiB writes to a fresh image from the same client as fio's
        (`on`), `total_mib` in all; the image is removed after it."""

    @abstractmethod
    def object_twins(self, *, seconds: int) -> ObjectTwins:
        """`rados bench` from the S3 client's host: 4 MiB writes for `seconds`, then sequential
        reads of what it wrote (for as long at most); the objects are removed after it."""

    def start_fio(self, volume: BlockVolume, job: FioJob) -> FioRun:
        """Start one fio job in the background; targets without it refuse in one sentence."""
        raise TargetError(self.background_fio_refusal() or f"fio job {job.name}: refused")

    def background_fio_refusal(self) -> str | None:
        """Why `start_fio` cannot work on this target (one sentence), or None when it can."""
        return "this target cannot run fio in the background"

    def writer_node(self, *, avoid: Collection[str]) -> str | None:
        """Where a background writer runs while the nodes in `avoid` are disrupted: a node's
        name, or None for the target's own client host, which no fault touches (the default)."""
        return None
