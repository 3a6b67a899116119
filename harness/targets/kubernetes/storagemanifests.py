"""The objects the storage capability creates on a Rook cluster, as plain dicts (validated in
tests: core kinds with kubernetes-validate, the ObjectBucketClaim against Rook's CRD).

Block I/O: a PVC with `volumeMode: Block` on the profile's RBD StorageClass, handed to a fio Job
as a raw device (`volumeDevices`): fio's `libaio` engine on the device, never the `rbd` engine (a
pod has no Ceph keyring; the kernel RBD client of the node does the I/O). Object I/O: an
ObjectBucketClaim; its Secret holds the keys, which reach the benchmark Job (boto3's or warp's)
only through `secretKeyRef`, so no manifest, plan or run file ever contains them.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from harness.targets.kubernetes import manifests
from harness.workloads import s3bench, warp
from harness.workloads.fio import FioJob, job_flags
from harness.workloads.s3bench import S3BenchSpec
from harness.workloads.warp import WarpSpec

Obj = manifests.Obj
OBC_GROUP = "objectbucket.io"
OBC_VERSION = "v1alpha1"
OBC_PLURAL = "objectbucketclaims"
ROOK_GROUP = "ceph.rook.io"
ROOK_VERSION = "v1"
DEVICE_PATH = "/dev/harness-rbd"
"""Where the PVC's block device appears inside the fio container."""
TOOLBOX_SELECTOR = "app=rook-ceph-tools"
OSD_SELECTOR = "app=rook-ceph-osd"
RGW_SELECTOR = "app=rook-ceph-rgw"
OSD_ID_LABEL = "ceph-osd-id"
S3BENCH_IMAGE = "public.ecr.aws/lambda/python:3.12"  # the profile's default (images.s3bench)
"""AWS' Python base image: arm64 and amd64, and its runtime ships boto3, so the Job needs
nothing from the internet once the image is on the node (the preflight pulls it first)."""
S3BENCH_MOUNT = "/bench"
NO_CLIENT_EXIT = 3
S3BENCH_SCRIPT = (
    # Nothing is installed at run time: a cluster without internet egress must run it too.
    'python3 -c "import boto3" 2>/dev/null || { echo "the S3 benchmark image has no boto3 (python3 '
    'cannot import it): set images.s3bench to an image that carries it, e.g. '
    f'{S3BENCH_IMAGE}" >&2; exit {NO_CLIENT_EXIT}; }}; '
    f'exec python3 {S3BENCH_MOUNT}/s3bench.py "$1"'
)
SECRET_KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
"""Keys of the OBC's Secret, in the order of `s3bench.KEY_ENV` and `warp.KEY_ENV`."""
WARP_BINARY = "/warp"
"""Where warp's release image keeps it (its ENTRYPOINT); the image may have no shell."""
WARP_WORKDIR = "/warp-work"
"""An emptyDir, the container's working directory: warp's benchdata goes there."""


def pvc(name: str, *, run_id: str, storage_class: str, size_gib: float) -> Obj:
    """An RBD volume as a raw block device (RWO: one node at a time)."""
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "labels": manifests.labels(run_id, "block-volume")},
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "volumeMode": "Block",
            "storageClassName": storage_class,
            "resources": {"requests": {"storage": f"{max(1, math.ceil(size_gib * 1024))}Mi"}},
        },
    }


def fio_argv(job: FioJob, *, device: str = DEVICE_PATH) -> list[str]:
    """fio on the raw device with libaio and O_DIRECT; the same bounds as the lab's `rbd_argv`."""
    return ["fio", "--output-format=json", f"--name={job.name}", "--ioengine=libaio",
            f"--filename={device}", *job_flags(job)]


def fio_deadline_s(job: FioJob) -> int:
    """The Job's own bound: the run, plus time to pull the image and attach the volume."""
    return job.runtime_s + job.ramp_s + 180


def fio_job(name: str, *, run_id: str, image: str, node: str, claim: str, job: FioJob) -> Obj:
    body = manifests.job(name, run_id=run_id, image=image, command=fio_argv(job), node=node,
                         deadline_s=fio_deadline_s(job), role="fio")
    spec = body["spec"]["template"]["spec"]
    spec["containers"][0]["volumeDevices"] = [{"name": "data", "devicePath": DEVICE_PATH}]
    spec["volumes"] = [{"name": "data", "persistentVolumeClaim": {"claimName": claim}}]
    return body


def bucket_claim(name: str, *, run_id: str, storage_class: str) -> Obj:
    """An ObjectBucketClaim: Rook makes a bucket (generated name), a Secret and a ConfigMap `name`."""
    return {
        "apiVersion": f"{OBC_GROUP}/{OBC_VERSION}",
        "kind": "ObjectBucketClaim",
        "metadata": {"name": name, "labels": manifests.labels(run_id, "bucket")},
        "spec": {"generateBucketName": name, "storageClassName": storage_class},
    }


def s3bench_configmap(name: str, *, run_id: str) -> Obj:
    """The benchmark's own source (stdlib + boto3 only), mounted into the Job."""
    source = Path(s3bench.__file__).read_text()
    return manifests.configmap(name, run_id=run_id, data={"s3bench.py": source}, role="s3bench")


def s3bench_job(name: str, *, run_id: str, image: str, node: str, spec: S3BenchSpec,
                secret: str, script_configmap: str) -> Obj:
    payload = json.dumps({**spec.__dict__, "object_sizes": list(spec.object_sizes)})
    deadline = int(2 * spec.max_s * len(spec.object_sizes)) + 180
    body = manifests.job(name, run_id=run_id, image=image,
                         command=["sh", "-c", S3BENCH_SCRIPT, "s3bench", payload], node=node,
                         deadline_s=deadline, role="s3bench")
    container = body["spec"]["template"]["spec"]["containers"][0]
    container["env"] = [*_keys_from(secret, s3bench.KEY_ENV), {"name": "NO_PROXY", "value": "*"},
                        {"name": "AWS_EC2_METADATA_DISABLED", "value": "true"}]
    container["volumeMounts"] = [{"name": "bench", "mountPath": S3BENCH_MOUNT, "readOnly": True}]
    body["spec"]["template"]["spec"]["volumes"] = [
        {"name": "bench", "configMap": {"name": script_configmap}}]
    return body


def _keys_from(secret: str, names: tuple[str, ...]) -> list[Obj]:
    """The OBC Secret's keys as the environment variables `names`, by reference only."""
    return [{"name": env, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}
            for env, key in zip(names, SECRET_KEYS, strict=True)]


def warp_deadline_s(spec: WarpSpec) -> int:
    """The Job's own bound: warp's (upload, pause, run, clean-up) and a minute to start the pod."""
    return math.ceil(spec.limit_s()) + 60


def warp_job(name: str, *, run_id: str, image: str, node: str, spec: WarpSpec, secret: str) -> Obj:
    """One warp run (`spec.op`), `--json` report on stdout; keys from the claim's Secret."""
    argv = warp.warp_argv(WARP_BINARY, spec, benchdata=Path(WARP_WORKDIR) / spec.op)
    body = manifests.job(name, run_id=run_id, image=image, command=argv, node=node,
                         deadline_s=warp_deadline_s(spec), role="warp")
    container = body["spec"]["template"]["spec"]["containers"][0]
    # NO_PROXY as for boto3: the gateway is in-cluster, never behind an injected proxy.
    container["env"] = [*_keys_from(secret, warp.KEY_ENV), {"name": "NO_PROXY", "value": "*"}]
    container["workingDir"] = WARP_WORKDIR
    container["volumeMounts"] = [{"name": "work", "mountPath": WARP_WORKDIR}]
    body["spec"]["template"]["spec"]["volumes"] = [{"name": "work", "emptyDir": {}}]
    return body


def ceph_command(*args: str) -> list[str]:
    """A `ceph` command for the toolbox, JSON out (the exec's timeout bounds it)."""
    return ["ceph", *args, "-f", "json"]
