"""Every object the storage capability sends to a cluster is schema-valid: core kinds with
kubernetes-validate (strict, 1.32), the ObjectBucketClaim against Rook's CRD (v1.20.6), and the
CephCluster the fake reads back too; broken ones are caught. Block I/O is libaio on a raw device."""

from __future__ import annotations

import copy
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest

from harness.profile import load_profile
from harness.targets.kubernetes import storagemanifests as sm
from harness.targets.kubernetes.storage import plan_objects
from harness.workloads import warp
from harness.workloads.fio import RAND_READ_4K, SEQ_READ_4M, SEQ_WRITE_4M
from harness.workloads.s3bench import S3BenchSpec
from harness.workloads.warp import WarpSpec
from tests.kubernetes.fakeapi import FakeKubernetes
from tests.kubernetes.fakestorage import DEGRADED, FakeStorage
from tests.kubernetes.rook_schema import validate_rook
from tests.reference import ROOK_EXAMPLES

RUN = "20250101T000000Z-abc123"
SPEC = S3BenchSpec(endpoint="http://rgw.rook-ceph.svc:80", bucket="bucket-1-0a1b", object_sizes=(4 << 20,))
WARP = WarpSpec(op="get", endpoint="http://rgw.rook-ceph.svc:80", bucket="bucket-1-0a1b", object_size=4 << 20,
                duration_s=10, objects=40)


def core_objects() -> dict[str, dict[str, Any]]:
    return {
        "pvc": sm.pvc("rbd-1", run_id=RUN, storage_class="ceph-block", size_gib=2),
        "fio-write": sm.fio_job("fio-1", run_id=RUN, image="fio", node="kwk1", claim="rbd-1",
                                job=SEQ_WRITE_4M),
        "fio-read": sm.fio_job("fio-2", run_id=RUN, image="fio", node="kwk1", claim="rbd-1",
                               job=SEQ_READ_4M),
        "s3bench-script": sm.s3bench_configmap("s3bench-script-1", run_id=RUN),
        "s3bench-job": sm.s3bench_job("s3bench-2", run_id=RUN, image=sm.S3BENCH_IMAGE, node="kwk1",
                                      spec=SPEC, secret="bucket-1", script_configmap="s3bench-script-1"),
        "warp-job": sm.warp_job("warp-get-3", run_id=RUN, image="quay.io/minio/warp:v1.6.1", node="kwk1",
                                spec=WARP, secret="bucket-1"),
    }


@pytest.mark.parametrize("name", list(core_objects()))
def test_core_objects_are_valid(name: str) -> None:
    kubernetes_validate.validate(core_objects()[name], "1.32", strict=True)


def test_the_bucket_claim_is_valid_against_rooks_crd() -> None:
    claim = sm.bucket_claim("bucket-1", run_id=RUN, storage_class="ceph-bucket")
    validate_rook(claim)
    assert claim["spec"] == {"generateBucketName": "bucket-1", "storageClassName": "ceph-bucket"}


def test_a_misspelt_bucket_claim_is_caught() -> None:
    claim = sm.bucket_claim("bucket-1", run_id=RUN, storage_class="ceph-bucket")
    broken = copy.deepcopy(claim)
    broken["spec"]["storageClass"] = broken["spec"].pop("storageClassName")
    with pytest.raises(jsonschema.ValidationError):
        validate_rook(broken)
    with pytest.raises(KeyError):
        validate_rook({**claim, "apiVersion": "objectbucket.io/v1"})


@pytest.mark.parametrize("status", ["healthy", "degraded"])
def test_the_cephcluster_the_fake_serves_is_valid(status: str) -> None:
    fake = FakeStorage(FakeKubernetes(), nodes=["a"])
    if status == "degraded":
        fake.status_file = DEGRADED
    cluster = fake.ceph_cluster()
    validate_rook(cluster)
    assert bool(cluster["status"]["ceph"]["details"]) == (status == "degraded")


def test_a_wrong_cephcluster_status_is_caught() -> None:
    cluster = FakeStorage(FakeKubernetes(), nodes=["a"], status_file=DEGRADED).ceph_cluster()
    for detail in cluster["status"]["ceph"]["details"].values():
        del detail["severity"]  # Rook requires message and severity
    with pytest.raises(jsonschema.ValidationError):
        validate_rook(cluster)


def test_rooks_own_examples_pass_the_same_validator() -> None:
    import yaml

    for name in ("object-bucket-claim-delete.yaml", "cluster-test.yaml"):
        for document in yaml.safe_load_all((ROOK_EXAMPLES / name).read_text()):
            if document["kind"] in ("ObjectBucketClaim", "CephCluster"):
                if document["spec"].get("additionalConfig", "") is None:
                    del document["spec"]["additionalConfig"]  # nullable: the API server accepts null
                validate_rook(document)


def test_block_volume_is_a_raw_device_read_by_libaio() -> None:
    objects = core_objects()
    assert objects["pvc"]["spec"]["volumeMode"] == "Block"
    assert objects["pvc"]["spec"]["resources"]["requests"]["storage"] == "2048Mi"
    spec = objects["fio-read"]["spec"]["template"]["spec"]
    assert spec["nodeName"] == "kwk1"
    assert spec["volumes"] == [{"name": "data", "persistentVolumeClaim": {"claimName": "rbd-1"}}]
    assert spec["containers"][0]["volumeDevices"] == [{"name": "data", "devicePath": sm.DEVICE_PATH}]
    argv = spec["containers"][0]["command"]
    assert argv[:4] == ["fio", "--output-format=json", "--name=seq-read-4m", "--ioengine=libaio"]
    assert f"--filename={sm.DEVICE_PATH}" in argv and "--direct=1" in argv and "--time_based" in argv
    random = sm.fio_argv(RAND_READ_4K)
    assert "--ioengine=rbd" not in random and "--ioengine=libaio" in random
    assert objects["fio-write"]["spec"]["activeDeadlineSeconds"] == SEQ_WRITE_4M.runtime_s + 180


def test_the_s3_job_gets_its_keys_only_by_reference() -> None:
    job = core_objects()["s3bench-job"]
    env = job["spec"]["template"]["spec"]["containers"][0]["env"]
    assert [e["name"] for e in env[:2]] == ["HARNESS_S3_ACCESS_KEY", "HARNESS_S3_SECRET_KEY"]
    assert [e["valueFrom"]["secretKeyRef"] for e in env[:2]] == [
        {"name": "bucket-1", "key": "AWS_ACCESS_KEY_ID"},
        {"name": "bucket-1", "key": "AWS_SECRET_ACCESS_KEY"}]
    assert all("value" not in e for e in env[:2])


def test_the_warp_job_runs_warp_itself_with_its_keys_only_by_reference() -> None:
    job = core_objects()["warp-job"]
    spec = job["spec"]["template"]["spec"]
    container = spec["containers"][0]
    assert spec["nodeName"] == "kwk1" and spec["restartPolicy"] == "Never"
    # No shell: the image's own binary, warp's command line as the lab runs it.
    assert container["command"] == warp.warp_argv("/warp", WARP, benchdata=Path(sm.WARP_WORKDIR) / "get")
    assert container["command"][:2] == ["/warp", "get"] and "args" not in container
    assert not any("key" in arg.lower() for arg in container["command"])
    env = {e["name"]: e for e in container["env"]}
    assert [env[name]["valueFrom"]["secretKeyRef"] for name in warp.KEY_ENV] == [
        {"name": "bucket-1", "key": "AWS_ACCESS_KEY_ID"},
        {"name": "bucket-1", "key": "AWS_SECRET_ACCESS_KEY"}]
    assert all("value" not in env[name] for name in warp.KEY_ENV)
    # Its benchdata lands in an emptyDir that is also its working directory.
    pairs = dict(zip(container["command"][2::2], container["command"][3::2], strict=False))
    assert pairs["--benchdata"] == f"{sm.WARP_WORKDIR}/get"
    assert container["workingDir"] == sm.WARP_WORKDIR
    assert container["volumeMounts"] == [{"name": "work", "mountPath": sm.WARP_WORKDIR}]
    assert spec["volumes"] == [{"name": "work", "emptyDir": {}}]
    # Bounded by warp's own limit (upload, pause, run, clean-up) and a minute to start.
    assert job["spec"]["activeDeadlineSeconds"] == math.ceil(WARP.limit_s()) + 60
    assert job["spec"]["backoffLimit"] == 0


def test_the_dry_run_plan_holds_one_of_each_and_all_are_valid(tmp_path: Any) -> None:
    profile = load_profile("profiles/homelab.example.yaml")
    planned = plan_objects(profile, run_id=RUN)
    assert [body["kind"] for body, _ in planned] == [
        "PersistentVolumeClaim", "Job", "ObjectBucketClaim", "ConfigMap", "Job", "Job"]
    warp_job, purpose = planned[-1]
    assert warp_job["spec"]["template"]["spec"]["containers"][0]["image"] == profile.images.warp
    assert purpose.startswith("at full depth (-m benchmark), each warp run instead")
    for body, _ in planned:
        if body["kind"] == "ObjectBucketClaim":
            validate_rook(body)
        else:
            kubernetes_validate.validate(body, "1.32", strict=True)


def _run_s3bench_script(tmp_path: Any, python: str) -> subprocess.CompletedProcess[str]:
    """The Job's own shell line, run here with `python` as the image's python3 and a `pip` that
    records any call (the image must never install anything at run time)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(python)
    pip = bin_dir / "pip"
    pip.write_text(f"#!/bin/sh\necho pip called >> {tmp_path / 'pip.log'}\n")
    pip.chmod(0o755)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin"}
    return subprocess.run(["sh", "-c", sm.S3BENCH_SCRIPT, "s3bench", "{}"], env=env,
                          capture_output=True, text=True, timeout=30, check=False)


def test_an_s3_image_without_boto3_fails_with_a_sentence_and_installs_nothing(tmp_path: Any) -> None:
    done = _run_s3bench_script(tmp_path, "/usr/bin/python3")  # the system's python: no boto3
    assert done.returncode == sm.NO_CLIENT_EXIT
    assert "the S3 benchmark image has no boto3" in done.stderr
    assert f"e.g. {sm.S3BENCH_IMAGE}" in done.stderr
    assert not (tmp_path / "pip.log").exists()


def test_an_s3_image_with_boto3_goes_on_to_the_benchmark(tmp_path: Any) -> None:
    done = _run_s3bench_script(tmp_path, sys.executable)  # the harness's own: it has boto3
    assert "has no boto3" not in done.stderr
    assert f"{sm.S3BENCH_MOUNT}/s3bench.py" in done.stderr  # reached the exec (no script here)
    assert not (tmp_path / "pip.log").exists()


def test_the_default_s3_image_is_the_profiles_and_pulls_nothing_else() -> None:
    assert load_profile("profiles/homelab.example.yaml").images.s3bench == sm.S3BENCH_IMAGE
    job = core_objects()["s3bench-job"]
    assert "pip" not in " ".join(job["spec"]["template"]["spec"]["containers"][0]["command"])
