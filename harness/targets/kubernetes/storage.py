"""`KubernetesStorage`: the storage contract on a Rook-Ceph cluster.

- Health: `ceph status`, `ceph osd pool ls detail` and `ceph osd ok-to-stop` exec'd in the Rook
  toolbox pod (`app=rook-ceph-tools` in the profile's Ceph namespace); without a toolbox, the
  CephCluster's `status.ceph` (health and checks only: the other counts stay 0, so those checks
  fail saying so rather than pass on no data).
- Block: a `volumeMode: Block` PVC on the profile's StorageClass; each fio run is a Job pinned to
  the volume's node, libaio on the raw device. The PVC (and the RBD image behind it) is deleted
  on exit. A chaos scenario's background writer is a Pod on such a PVC whose fio reports every
  second (`fiowriter.py`), on a node no fault of the scenario touches.
- Object: an ObjectBucketClaim; endpoint from its ConfigMap, keys from its Secret (kept only in
  the `Bucket` value, whose repr hides them); the S3 benchmark (boto3's, or warp at full depth:
  `storagewarp.py`) runs as a Job on the client node, reading the keys through `secretKeyRef`.

Which nodes hold OSDs and the gateway is read from the Rook pods' `nodeName`.
"""

from __future__ import annotations

import base64
import itertools
import logging
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager

from harness.profile import Profile
from harness.targets.base import TargetError
from harness.targets.kubernetes import manifests, storagetwins, storagewarp
from harness.targets.kubernetes import storagemanifests as sm
from harness.targets.kubernetes.api import KubeAPI, Obj
from harness.targets.kubernetes.errors import APIError, APINotFound
from harness.targets.kubernetes.workloads import JobOutcome, WorkloadError, Workloads
from harness.targets.storage import BlockVolume, Bucket, FioRun, Storage, StorageClient
from harness.workloads.ceph_status import (
    CephOutputError,
    CephStatus,
    parse_checks,
    parse_ok_to_stop,
    parse_pools,
    parse_status,
)
from harness.workloads.cephbench import ObjectTwins, Twin
from harness.workloads.fio import FioJob, FioOutputError, FioResult, parse_fio
from harness.workloads.s3bench import S3BenchResult, S3BenchSpec
from harness.workloads.warp import WarpResult, WarpSpec

log = logging.getLogger("harness.kubernetes.storage")

BUCKET_READY_S = 120.0
"""Rook provisions a bucket, its user, Secret and ConfigMap within seconds; allow for a busy operator."""


class KubernetesStorage(Storage):
    def __init__(self, *, api: Callable[[], KubeAPI], workloads: Workloads, profile: Profile,
                 run_id: Callable[[], str], namespace: Callable[[], str]) -> None:
        self._api = api
        self.workloads = workloads
        self.profile = profile
        self._run_id = run_id
        self._namespace = namespace
        self._serial = itertools.count(1)

    @property
    def api(self) -> KubeAPI:
        return self._api()

    @property
    def ceph_namespace(self) -> str:
        return self.profile.storage.ceph_namespace

    def _name(self, *parts: str) -> str:
        return manifests.object_name(*parts, str(next(self._serial)))

    # --- health through the toolbox -------------------------------------------------------------
    def toolbox_pod(self) -> Obj | None:
        """The running Rook toolbox pod, if there is one."""
        pods = self.api.list_pods(self.ceph_namespace, label_selector=sm.TOOLBOX_SELECTOR)
        return next((p for p in pods if (p.get("status") or {}).get("phase") == "Running"), None)

    def _toolbox(self) -> str | None:
        pod = self.toolbox_pod()
        return str(pod["metadata"]["name"]) if pod is not None else None

    def _ceph(self, pod: str, *args: str, timeout_s: float) -> tuple[int, str]:
        done = self.workloads.exec(self.ceph_namespace, pod, sm.ceph_command(*args), timeout_s=timeout_s)
        code = 0 if done.exit_code is None else done.exit_code
        return code, done.stdout if code == 0 else (done.stderr or done.stdout)

    def health(self, timeout_s: float = 10.0) -> CephStatus:
        pod = self._toolbox()
        if pod is None:
            log.info("no running Rook toolbox in %s: reading the CephCluster status", self.ceph_namespace)
            return self._cluster_status()
        try:
            code, text = self._ceph(pod, "status", timeout_s=timeout_s)
            if code != 0:
                raise TargetError(f"ceph status in {self.ceph_namespace}/{pod} exited {code}: {text[-200:]}")
            status = parse_status(text)
            code, text = self._ceph(pod, "osd", "pool", "ls", "detail", timeout_s=timeout_s)
            pools = parse_pools(text) if code == 0 else ()
        except CephOutputError as error:
            raise TargetError(f"the toolbox answered something unreadable: {error}") from None
        return CephStatus(**{**status.__dict__, "pools": pools})

    def _cluster_status(self) -> CephStatus:
        clusters = self.api.list_namespaced_objects(group=sm.ROOK_GROUP, version=sm.ROOK_VERSION,
                                                    plural="cephclusters", namespace=self.ceph_namespace)
        if not clusters:
            raise TargetError(f"no CephCluster in {self.ceph_namespace} and no toolbox to ask Ceph")
        ceph = (clusters[0].get("status") or {}).get("ceph") or {}
        checks = {code: {"severity": d.get("severity", ""), "summary": {"message": d.get("message", "")}}
                  for code, d in (ceph.get("details") or {}).items()}
        return CephStatus(health=str(ceph.get("health", "HEALTH_UNKNOWN")), checks=parse_checks(checks),
                          quorum=(), mons=0, osds=0, osds_up=0, osds_in=0, pgs=0)

    def osd_ok_to_stop(self, node: str, timeout_s: float = 10.0) -> bool:
        ids = [str((p["metadata"].get("labels") or {}).get(sm.OSD_ID_LABEL, "")) for p in self._osd_pods()
               if (p.get("spec") or {}).get("nodeName") == node]
        ids = [i for i in ids if i]
        if not ids:
            raise TargetError(f"no OSD pod runs on {node}")
        pod = self._toolbox()
        if pod is None:
            raise TargetError(f"ok-to-stop needs the Rook toolbox in {self.ceph_namespace}; none is running")
        code, text = self._ceph(pod, "osd", "ok-to-stop", *ids, timeout_s=timeout_s)
        ok, reason = parse_ok_to_stop(code, text)
        log.info("ceph osd ok-to-stop %s (%s): %s", " ".join(ids), node, reason)
        return ok

    # --- where things run ------------------------------------------------------------------------
    def _osd_pods(self) -> list[Obj]:
        return self.api.list_pods(self.ceph_namespace, label_selector=sm.OSD_SELECTOR)

    def _nodes_of(self, pods: list[Obj]) -> list[str]:
        found = {str((p.get("spec") or {}).get("nodeName") or "") for p in pods}
        return [n.name for n in self.profile.nodes if n.name in found]

    def osd_nodes(self) -> list[str]:
        return self._nodes_of(self._osd_pods())

    def gateway_node(self) -> str | None:
        gateways = self._nodes_of(self.api.list_pods(self.ceph_namespace, label_selector=sm.RGW_SELECTOR))
        osd_nodes = self.osd_nodes()
        return next((n for n in gateways if n in osd_nodes), None)

    def default_client_node(self) -> str:
        return default_client_node(self.profile)

    def client(self, on: str | None = None) -> StorageClient:
        node = on or self.default_client_node()
        return StorageClient(node=node, colocated_with_osd=node in self.osd_nodes())

    # --- block ---------------------------------------------------------------------------------
    @contextmanager
    def block_volume(self, size_gib: float, *, on: str | None = None) -> Iterator[BlockVolume]:
        node = on or self.default_client_node()
        if node not in {n.name for n in self.profile.nodes}:
            raise TargetError(f"no node {node!r} in profile {self.profile.name}")
        name = self._name("rbd")
        storage_class = self.profile.storage.block_storage_class
        self.api.create_pvc(self._namespace(), sm.pvc(name, run_id=self._run_id(),
                                                      storage_class=storage_class, size_gib=size_gib))
        try:
            yield BlockVolume(pool=storage_class, image=name, size_gib=size_gib, client_node=node)
        finally:
            self.api.delete_pvc(self._namespace(), name)

    def background_fio_refusal(self) -> str | None:
        if not self.profile.storage.enabled:
            return f"profile {self.profile.name} has no storage (storage.enabled is false)"
        return None

    def writer_node(self, *, avoid: Collection[str]) -> str | None:
        from harness.targets.kubernetes.fiowriter import writer_node

        return writer_node(self.profile, avoid=avoid)

    def start_fio(self, volume: BlockVolume, job: FioJob) -> FioRun:
        """A writer pod on the volume's node; returns once fio reported (it is writing). The
        job's `latency_log` is not used here: fio's per-second reports in the pod's log are."""
        from harness.targets.kubernetes.fiowriter import PodFioRun, writer_pod

        node = volume.client_node or self.default_client_node()
        name = self._name("fio-writer", job.name)
        body = writer_pod(name, run_id=self._run_id(), image=self.profile.images.fio, node=node,
                          claim=volume.image, job=job)
        run = PodFioRun(api=self._api, namespace=self._namespace(), name=name, job=job,
                        wait=self.workloads.wait, sleep=self.workloads.sleep)
        self.api.create_pod(self._namespace(), body)
        run.await_first_report()
        return run

    def run_fio(self, volume: BlockVolume, job: FioJob) -> FioResult:
        node = volume.client_node or self.default_client_node()
        name = self._name("fio", job.name)
        body = sm.fio_job(name, run_id=self._run_id(), image=self.profile.images.fio, node=node,
                          claim=volume.image, job=job)
        text = self._run(body, f"fio {job.name}", timeout_s=sm.fio_deadline_s(job) + 30,
                         claim=volume.image)
        try:
            return parse_fio(text)
        except FioOutputError as error:
            raise TargetError(f"fio {job.name} on {node}: {error}") from None

    def block_write_twin(self, *, on: str | None, total_mib: int) -> Twin:
        return storagetwins.block_write_twin(self, total_mib=total_mib)  # from the toolbox's node

    def object_twins(self, *, seconds: int) -> ObjectTwins:
        return storagetwins.object_twins(self, seconds=seconds)

    def _run_job(self, body: Obj, what: str, *, timeout_s: float, claim: str | None = None) -> JobOutcome:
        """Run the Job to its end (or `timeout_s`) and delete it; its outcome, failed or not."""
        namespace, name = self._namespace(), str(body["metadata"]["name"])
        try:
            return self.workloads.run_job(namespace, body, timeout_s=timeout_s)
        except WorkloadError as error:
            raise TargetError(f"{what}: {error}{self._claim_state(claim)}") from None
        finally:
            self.api.delete_job(namespace, name)

    def _run(self, body: Obj, what: str, *, timeout_s: float, claim: str | None = None) -> str:
        """Run the Job to its end, delete it, return its logs; raise with the reason if it failed."""
        outcome = self._run_job(body, what, timeout_s=timeout_s, claim=claim)
        if not outcome.succeeded:
            raise TargetError(f"{what} failed ({outcome.reason}): {outcome.log_tail()}")
        return outcome.logs

    def _claim_state(self, claim: str | None) -> str:
        if claim is None:
            return ""
        try:
            phase = (self.api.read_pvc(self._namespace(), claim).get("status") or {}).get("phase")
        except APIError:
            return ""
        return "" if phase == "Bound" else f" (PVC {claim} is {phase or 'not bound'})"

    # --- object --------------------------------------------------------------------------------
    @contextmanager
    def bucket(self) -> Iterator[Bucket]:
        namespace, name = self._namespace(), self._name("bucket")
        claim = sm.bucket_claim(name, run_id=self._run_id(),
                                storage_class=self.profile.storage.bucket_storage_class)
        self.api.create_custom_object(group=sm.OBC_GROUP, version=sm.OBC_VERSION, plural=sm.OBC_PLURAL,
                                      body=claim, namespace=namespace)
        try:
            self._wait_bound(namespace, name)
            config = self.api.read_configmap(namespace, name).get("data") or {}
            access_key, secret_key = self._keys(namespace, name)
            endpoint = f"http://{config.get('BUCKET_HOST', '')}:{config.get('BUCKET_PORT', '80')}"
            yield Bucket(name=str(config.get("BUCKET_NAME", "")), endpoint=endpoint,
                         access_key=access_key, secret_key=secret_key,
                         region=str(config.get("BUCKET_REGION") or "us-east-1"))
        finally:  # the bucket StorageClass's reclaimPolicy Delete removes the bucket with the claim
            self.api.delete_namespaced_object(group=sm.OBC_GROUP, version=sm.OBC_VERSION,
                                              plural=sm.OBC_PLURAL, namespace=namespace, name=name)

    def _wait_bound(self, namespace: str, name: str) -> None:
        def check() -> tuple[bool, str]:
            found = self.api.read_namespaced_object(group=sm.OBC_GROUP, version=sm.OBC_VERSION,
                                                    plural=sm.OBC_PLURAL, namespace=namespace, name=name)
            phase = str((found.get("status") or {}).get("phase") or "Pending")
            if phase == "Failed":
                raise TargetError(f"ObjectBucketClaim {namespace}/{name} failed")
            return phase == "Bound", phase

        try:
            self.workloads._poll(f"ObjectBucketClaim {namespace}/{name}", BUCKET_READY_S, check)
        except WorkloadError as error:
            raise TargetError(str(error)) from None

    def _keys(self, namespace: str, name: str) -> tuple[str, str]:
        try:
            data = self.api.read_secret(namespace, name).get("data") or {}
            keys = tuple(base64.b64decode(str(data[key])).decode() for key in sm.SECRET_KEYS)
        except (APINotFound, KeyError, ValueError):
            raise TargetError(f"the bucket's Secret {namespace}/{name} has no S3 keys") from None
        return keys[0], keys[1]

    def run_s3bench(self, bucket: Bucket, spec: S3BenchSpec) -> S3BenchResult:
        namespace, claim = self._namespace(), self._claim_of(bucket)
        script = self._name("s3bench-script")
        self.api.create_configmap(namespace, sm.s3bench_configmap(script, run_id=self._run_id()))
        body = sm.s3bench_job(self._name("s3bench"), run_id=self._run_id(), image=self.profile.images.s3bench,
                              node=self.default_client_node(), spec=spec, secret=claim,
                              script_configmap=script)
        limit = float(body["spec"]["activeDeadlineSeconds"]) + 30
        try:
            text = self._run(body, "the S3 benchmark", timeout_s=limit)
        finally:
            self.api.delete_configmap(namespace, script)
        last = next((line for line in reversed(text.splitlines()) if line.startswith("{")), "")
        try:
            return S3BenchResult.from_json(last)
        except (ValueError, KeyError, TypeError):
            raise TargetError(f"the S3 benchmark printed no result: {text.strip()[-200:]!r}") from None

    def warp_refusal(self) -> str | None:
        return None  # a Job of the profile's `images.warp`, which the preflight proved runs

    def run_warp(self, bucket: Bucket, spec: WarpSpec) -> WarpResult:
        """warp as a Job on the client node, at the bucket's own endpoint (`storagewarp.py`)."""
        storagewarp.check_target(bucket, spec)
        node = self.default_client_node()
        body = sm.warp_job(self._name("warp", spec.op), run_id=self._run_id(), image=self.profile.images.warp,
                           node=node, spec=spec, secret=self._claim_of(bucket))
        outcome = self._run_job(body, f"warp {spec.op}", timeout_s=sm.warp_deadline_s(spec) + 30)
        return storagewarp.result_of(outcome, spec, where=f"pod {self._namespace()}/{outcome.pod} on {node}")

    def _claim_of(self, bucket: Bucket) -> str:
        """The claim (and Secret) whose ConfigMap names this bucket, in the run's namespace."""
        claims = self.api.list_namespaced_objects(group=sm.OBC_GROUP, version=sm.OBC_VERSION,
                                                  plural=sm.OBC_PLURAL, namespace=self._namespace())
        for claim in claims:
            name = str(claim["metadata"]["name"])
            if (self.api.read_configmap(self._namespace(), name).get("data") or {}).get(
                    "BUCKET_NAME") == bucket.name:
                return name
        raise TargetError(f"bucket {bucket.name} has no ObjectBucketClaim in {self._namespace()}")


def default_client_node(profile: Profile) -> str:
    """Benchmarks without `on` run on the first worker (the last node if all are control plane)."""
    workers = [n.name for n in profile.nodes if not n.is_controlplane]
    return workers[0] if workers else profile.nodes[-1].name


def plan_objects(profile: Profile, *, run_id: str) -> list[tuple[Obj, str]]:
    """One of each object the storage suites create, with its purpose, for the dry-run plan."""
    from harness.workloads.fio import SEQ_WRITE_4M

    node = default_client_node(profile)
    claim = sm.bucket_claim("bucket-1", run_id=run_id, storage_class=profile.storage.bucket_storage_class)
    spec = S3BenchSpec(endpoint="http://<BUCKET_HOST>:<BUCKET_PORT>", bucket="<BUCKET_NAME>")
    put = WarpSpec(op="put", endpoint=spec.endpoint, bucket=spec.bucket, object_size=4 << 20,
                   duration_s=10)  # as `suites.storage.s3runs.warp_spec` makes it
    return [
        (sm.pvc("rbd-1", run_id=run_id, storage_class=profile.storage.block_storage_class, size_gib=2),
         "block volume for the fio benchmarks (deleted with its RBD image at the end)"),
        (sm.fio_job("fio-seq-write-4m-2", run_id=run_id, image=profile.images.fio, node=node,
                    claim="rbd-1", job=SEQ_WRITE_4M), f"each fio run: a Job on {node} (numbered)"),
        (claim, "bucket for the S3 benchmark (its Secret holds the keys; never read into a file)"),
        (sm.s3bench_configmap("s3bench-script-3", run_id=run_id), "the S3 benchmark's script"),
        (sm.s3bench_job("s3bench-4", run_id=run_id, image=profile.images.s3bench, node=node, spec=spec,
                        secret="bucket-1", script_configmap="s3bench-script-3"),
         f"each S3 benchmark: a Job on {node}, keys through secretKeyRef"),
        (sm.warp_job("warp-put-5", run_id=run_id, image=profile.images.warp, node=node, spec=put,
                     secret="bucket-1"),
         f"at full depth (-m benchmark), each warp run instead: a Job on {node}, keys through "
         "secretKeyRef"),
    ]

