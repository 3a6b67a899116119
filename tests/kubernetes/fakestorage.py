"""What the fake cluster's Rook-Ceph does, decided deterministically (no byte is stored):

- **Rook pods** in `rook-ceph`: a Running toolbox (`app=rook-ceph-tools`), one OSD pod per node
  (`app=rook-ceph-osd`, `ceph-osd-id` = its index), an RGW pod on `gateway` — and a CephCluster
  whose `status.ceph` mirrors the recorded `ceph status` (schema-valid against Rook's CRD).
- **Toolbox exec**: `ceph status -f json` answers the recorded `status_file` (healthy by default,
  `ceph-status-degraded.json` for a degraded cluster), `ceph osd pool ls detail -f json` the
  recorded pools, `ceph osd ok-to-stop <ids>` exit 0 or EBUSY (16) as `ok_to_stop` says;
  `rbd bench` and `rados bench write|seq` the outputs recorded on the lab (the twins).
- **PVCs** are Bound at once. **ObjectBucketClaims** are Bound at once, with a ConfigMap
  (BUCKET_HOST/PORT/NAME) and a Secret (`ACCESS_KEY`/`SECRET_KEY` below, base64) of the claim's
  name; they go when the claim goes (Rook's owner references).
- **fio Jobs**: the pod's logs are the recorded fio report (`fio-rbd-engine.json`), relabelled for
  the job the command line asks for, at `fio_mib_s[direction]` MiB/s; one pass over `--size` unless
  `--time_based`. A fio pod whose claim is missing or not a Block volume prints fio's error instead.
- **S3 benchmark Jobs**: the logs are an S3BenchResult for the spec in the command, at
  `s3_mib_s[op]`, every request an error when the Secret the Job references lacks the keys.
- **warp Jobs** (command `/warp <op> ... --json`): the logs are a report warp printed on the lab
  (`tests/unit/data/warp-*.json`, unchanged): `put` answers the 64 KiB PUT run, `get` and `mixed`
  the 1 MiB mixed run (the only recorded report with a measured GET; its other operations come
  along), whatever size the command asks for. A Job whose `WARP_ACCESS_KEY`/`WARP_SECRET_KEY` do
  not both come from a Secret holding them prints nothing (the real warp, refused, retries until
  its deadline).
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.targets.kubernetes import storagemanifests as sm
from harness.workloads import s3bench, warp
from harness.workloads.s3bench import MIB, S3BenchResult, S3PhaseResult
from tests.kubernetes.fakeapi import ExecHandler, FakeKubernetes

Obj = dict[str, Any]
DATA = Path(__file__).resolve().parents[1] / "unit" / "data"
HEALTHY = DATA / "ceph-status-healthy.json"
DEGRADED = DATA / "ceph-status-degraded.json"
POOLS = DATA / "ceph-osd-pool-ls-detail.json"
RBD_BENCH = DATA / "rbd-bench-write.txt"
RADOS_BENCH = {"write": DATA / "rados-bench-write.txt", "seq": DATA / "rados-bench-seq.txt"}
FIO_REPORT = DATA / "fio-rbd-engine.json"
WARP_REPORTS = {"put": DATA / "warp-put-64k-lab.json", "get": DATA / "warp-mixed-1m-lab.json",
                "mixed": DATA / "warp-mixed-1m-lab.json"}
CEPH_NS = "rook-ceph"
ACCESS_KEY = "FAKEACCESSKEY7Q2ZLEAKCHECK"
SECRET_KEY = "fake+Secret/Key=9f3b2c1d0e-must-never-leak"
RGW_HOST = "rook-ceph-rgw-my-store.rook-ceph.svc"
EBUSY = 16


def _running(name: str, node: str, labels: dict[str, str], image: str = "quay.io/ceph/ceph:v19") -> Obj:
    return {"metadata": {"name": name, "namespace": CEPH_NS, "labels": labels},
            "spec": {"nodeName": node, "containers": [{"name": "main", "image": image}]},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}}


def _flag(argv: list[str], name: str, default: str = "") -> str:
    prefix = f"--{name}="
    return next((a[len(prefix):] for a in argv if a.startswith(prefix)), default)


def _bytes(size: str) -> int:
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    return int(float(size[:-1]) * units[size[-1].lower()]) if size[-1].lower() in units else int(size)


@dataclass
class FakeStorage:
    api: FakeKubernetes
    nodes: list[str]
    gateway: str = "kcp1"
    status_file: Path = HEALTHY
    ok_to_stop: bool = True
    toolbox: bool = True
    fio_mib_s: dict[str, float] = field(default_factory=lambda: {"write": 97.44, "read": 140.0})
    s3_mib_s: dict[str, float] = field(default_factory=lambda: {"put": 56.0, "get": 108.0})
    ceph_calls: list[list[str]] = field(default_factory=list)
    _exec_before: ExecHandler | None = None
    _logs_before: Callable[[Obj], str | None] | None = None

    def install(self) -> FakeStorage:
        self.api.put("v1", "namespaces", {"metadata": {"name": CEPH_NS}, "status": {"phase": "Active"}})
        if self.toolbox:
            self.api.put("v1", "pods", _running("rook-ceph-tools-5d8f7c9b4-x2k7p", self.nodes[0],
                                                {"app": "rook-ceph-tools"}), CEPH_NS)
        for index, node in enumerate(self.nodes):
            labels = {"app": "rook-ceph-osd", sm.OSD_ID_LABEL: str(index)}
            self.api.put("v1", "pods", _running(f"rook-ceph-osd-{index}-7c9d", node, labels), CEPH_NS)
        self.api.put("v1", "pods", _running("rook-ceph-rgw-my-store-a-6b7f", self.gateway,
                                            {"app": "rook-ceph-rgw"}), CEPH_NS)
        self.api.put("ceph.rook.io/v1", "cephclusters", self.ceph_cluster(), CEPH_NS)
        self._exec_before, self.api.exec_handler = self.api.exec_handler, self._exec
        self._logs_before, self.api.log_for = self.api.log_for, self._logs
        self.api.hooks.append(self._on_change)
        return self

    def ceph_cluster(self) -> Obj:
        """The CephCluster as Rook reports it, its `status.ceph` taken from the recorded status."""
        status = json.loads(self.status_file.read_text())["health"]
        details = {code: {"message": body["summary"]["message"], "severity": body["severity"]}
                   for code, body in (status.get("checks") or {}).items()}
        ceph = {"health": status["status"], "details": details, "lastChecked": "2025-01-01T00:00:00Z",
                "fsid": "3f1c0a4e-fake"}
        return {"apiVersion": "ceph.rook.io/v1", "kind": "CephCluster",
                "metadata": {"name": "rook-ceph", "namespace": CEPH_NS},
                "spec": {"dataDirHostPath": "/var/lib/rook",
                         "cephVersion": {"image": "quay.io/ceph/ceph:v19"},
                         "mon": {"count": 3}, "storage": {"useAllNodes": True, "useAllDevices": True}},
                "status": {"phase": "Ready", "state": "Created", "ceph": ceph}}

    # -- PVCs and bucket claims -----------------------------------------------------------------
    def _on_change(self, event: str, resource: str, namespace: str, obj: Obj) -> None:
        name = obj["metadata"]["name"]
        if resource == "persistentvolumeclaims" and event == "create":
            with self.api.lock:
                obj["status"] = {"phase": "Bound", "accessModes": obj["spec"]["accessModes"]}
        elif resource == sm.OBC_PLURAL and event == "create":
            bucket = f"{obj['spec']['generateBucketName']}-0a1b2c3d"
            self.api.put("v1", "configmaps", {"metadata": {"name": name, "namespace": namespace}, "data": {
                "BUCKET_HOST": RGW_HOST, "BUCKET_PORT": "80", "BUCKET_NAME": bucket,
                "BUCKET_REGION": "us-east-1"}}, namespace)
            self.api.put("v1", "secrets", {"metadata": {"name": name, "namespace": namespace}, "data": {
                "AWS_ACCESS_KEY_ID": base64.b64encode(ACCESS_KEY.encode()).decode(),
                "AWS_SECRET_ACCESS_KEY": base64.b64encode(SECRET_KEY.encode()).decode()}}, namespace)
            with self.api.lock:
                obj["status"] = {"phase": "Bound"}
        elif resource == sm.OBC_PLURAL and event == "delete":
            with self.api.lock:
                for kind in ("configmaps", "secrets"):
                    self.api.objects.get(("v1", namespace, kind), {}).pop(name, None)

    # -- the toolbox ------------------------------------------------------------------------------
    def _exec(self, namespace: str, pod: str, argv: list[str]) -> tuple[str, str, int]:
        if namespace != CEPH_NS or not pod.startswith("rook-ceph-tools"):
            assert self._exec_before is not None
            return self._exec_before(namespace, pod, argv)
        self.ceph_calls.append(argv)
        if argv == ["ceph", "status", "-f", "json"]:
            return self.status_file.read_text(), "", 0
        if argv == ["ceph", "osd", "pool", "ls", "detail", "-f", "json"]:
            return POOLS.read_text(), "", 0
        if argv[:3] == ["ceph", "osd", "ok-to-stop"] and argv[-2:] == ["-f", "json"]:
            ids = [int(i) for i in argv[3:-2]]
            if self.ok_to_stop:
                return json.dumps({"ok_to_stop": True, "osds": ids, "num_ok_pgs": 33}), "", 0
            why = f"Error EBUSY: unsafe to stop osd(s) at this time ({len(ids) * 33} PGs would go offline)"
            return "", why, EBUSY
        if argv[:2] in (["rbd", "create"], ["rbd", "rm"], ["rados", "-p"]):  # scratch image, cleanup
            return "", "", 0
        if argv[:2] == ["rbd", "bench"]:
            return RBD_BENCH.read_text(), "", 0
        if argv[:2] == ["rados", "bench"] and argv[5] in RADOS_BENCH:
            return RADOS_BENCH[argv[5]].read_text(), "", 0
        return "", f"the fake toolbox cannot run {argv}", 22

    # -- Job logs ---------------------------------------------------------------------------------
    def _logs(self, pod: Obj) -> str | None:
        command = pod["spec"]["containers"][0].get("command") or []
        if command[:1] == ["fio"]:
            return self._fio(pod, command)
        if command[:3] == ["sh", "-c", sm.S3BENCH_SCRIPT]:
            return self._s3bench(pod, json.loads(command[-1]))
        if command[:1] == [sm.WARP_BINARY]:
            return self._warp(pod, command)
        return self._logs_before(pod) if self._logs_before is not None else None

    def _volume_ok(self, pod: Obj) -> bool:
        namespace = pod["metadata"]["namespace"]
        claims = [v["persistentVolumeClaim"]["claimName"] for v in pod["spec"].get("volumes") or []
                  if "persistentVolumeClaim" in v]
        devices = pod["spec"]["containers"][0].get("volumeDevices") or []
        found = [self.api.get("v1", "persistentvolumeclaims", c, namespace) for c in claims]
        return bool(claims and devices) and all(c is not None and c["spec"].get("volumeMode") == "Block"
                                                for c in found)

    def _fio(self, pod: Obj, argv: list[str]) -> str:
        if not self._volume_ok(pod) or _flag(argv, "ioengine") not in ("libaio", "psync"):
            return f"fio: err=19/file:filesetup.c:805, func=open(), error=No such device: {sm.DEVICE_PATH}\n"
        report = json.loads(FIO_REPORT.read_text())
        job = report["jobs"][0]
        rw, bs = _flag(argv, "rw"), _bytes(_flag(argv, "bs", "4k"))
        direction = "write" if "write" in rw else "read"
        bandwidth = self.fio_mib_s[direction] * MIB
        runtime_s = float(_flag(argv, "runtime", "10"))
        io = bandwidth * runtime_s if "--time_based" in argv else min(_bytes(_flag(argv, "size", "2G")),
                                                                     bandwidth * runtime_s)
        stats = copy.deepcopy(job["write"])
        stats.update(bw_bytes=int(bandwidth), bw=int(bandwidth / 1024), iops=bandwidth / bs,
                     io_bytes=int(io), io_kbytes=int(io / 1024), runtime=int(io / bandwidth * 1000),
                     total_ios=int(io / bs))
        idle = {**copy.deepcopy(job["read"]), "bw_bytes": 0, "io_bytes": 0, "iops": 0.0}
        job.update(jobname=_flag(argv, "name"), read=stats if direction == "read" else idle,
                   write=stats if direction == "write" else idle)
        job["job options"] = {"rw": rw, "bs": _flag(argv, "bs"), "iodepth": _flag(argv, "iodepth"),
                              "size": _flag(argv, "size")}
        return json.dumps(report, indent=2) + "\n"

    def _keyed(self, pod: Obj, names: tuple[str, ...]) -> bool:
        """Do the env variables `names` (and no other) come from a Secret that holds their keys?"""
        namespace = pod["metadata"]["namespace"]
        env = [e for e in pod["spec"]["containers"][0].get("env") or [] if "valueFrom" in e]
        refs = [e["valueFrom"]["secretKeyRef"] for e in env]
        secrets = [self.api.get("v1", "secrets", r["name"], namespace) for r in refs]
        return tuple(e["name"] for e in env) == names and all(
            s is not None and r["key"] in s["data"] for r, s in zip(refs, secrets, strict=True))

    def _warp(self, pod: Obj, argv: list[str]) -> str:
        if not self._keyed(pod, warp.KEY_ENV) or "--json" not in argv:
            return ""
        return WARP_REPORTS[argv[1]].read_text()

    def _s3bench(self, pod: Obj, spec: Obj) -> str:
        keyed = self._keyed(pod, s3bench.KEY_ENV)
        phases = []
        for size in spec["object_sizes"]:
            for op in ("put", "get"):
                rate, ops = self.s3_mib_s[op], int(spec["objects"])
                seconds = ops * size / MIB / rate
                phases.append(S3PhaseResult(
                    op=op, object_size=size, ops=ops if keyed else 0, errors=0 if keyed else ops,
                    seconds=seconds, throughput_mib_s=rate if keyed else 0.0,
                    ops_per_s=ops / seconds if keyed else 0.0, latency_p50_ms=35.0, latency_p99_ms=90.0,
                    first_error="" if keyed else "ClientError: InvalidAccessKeyId"))
        return S3BenchResult(tuple(phases)).to_json() + "\n"
