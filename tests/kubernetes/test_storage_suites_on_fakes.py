"""`suites/storage` runs unchanged with `--target kubernetes` against the fake API + fake Rook
(what the fake decides is documented in `fakestorage.py`): it passes on the recorded healthy
status, its health checks fail on the recorded degraded one, it cleans up, the S3 keys appear in
no output and no run file, `-m benchmark` measures S3 with warp Jobs, and `--dry-run` plans
schema-valid storage objects."""

from __future__ import annotations

import base64
import json

import pytest

from harness.profile import load_profile
from harness.workloads.warp import parse_warp
from tests.kubernetes.fakecluster import FakeCluster
from tests.kubernetes.fakestorage import ACCESS_KEY, DEGRADED, SECRET_KEY, WARP_REPORTS, FakeStorage
from tests.kubernetes.rook_schema import validate_rook
from tests.kubernetes.test_dry_run import _untouched, _yaml_documents
from tests.kubernetes.test_suites_on_fakes import run_harness

SECRETS = [ACCESS_KEY, SECRET_KEY] + [base64.b64encode(k.encode()).decode() for k in (ACCESS_KEY, SECRET_KEY)]


def test_storage_suites_pass_on_the_fakes_and_leak_no_key(cluster: FakeCluster,
                                                          fakestorage: FakeStorage) -> None:
    done = run_harness(cluster, "suites/storage", "-q", "-p", "no:randomly", "--log-level=DEBUG",
                       timeout_s=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "13 passed" in done.stdout, done.stdout[-1500:]
    run_files = list((cluster.root / "runs").rglob("*"))
    texts = [done.stdout, done.stderr] + [p.read_text(errors="replace") for p in run_files if p.is_file()]
    assert any("storage.block.seq-read-4m.bandwidth" in t for t in texts)  # the run file is among them
    for key in SECRETS:
        assert not any(key in text for text in texts), "an S3 key reached the output or a run file"
    writes = cluster.api.writes()
    assert sum("/persistentvolumeclaims" in w and w.startswith("POST") for w in writes) == 1
    assert sum("/objectbucketclaims" in w and w.startswith("POST") for w in writes) == 1
    assert sum(w.endswith("/jobs") for w in writes) == 4 + 2  # fio: write (fills), read, 2x 4k; s3: 2
    assert cluster.api.names("v1", "namespaces") == ["rook-ceph"]  # the run's namespace is gone


def test_health_checks_fail_on_a_degraded_cluster(cluster: FakeCluster, fakestorage: FakeStorage) -> None:
    fakestorage.status_file = DEGRADED
    done = run_harness(cluster, "suites/storage/test_health.py", "-q", "-p", "no:randomly")
    assert done.returncode == 1, done.stdout[-3000:]
    assert "FAILED suites/storage/test_health.py::test_health_ok" in done.stdout
    assert "FAILED suites/storage/test_health.py::test_osds_up_and_in" in done.stdout
    assert "OSD_DOWN" in done.stdout and "3 up, 4 in" in done.stdout


def test_dry_run_plans_valid_storage_objects_and_sends_nothing(cluster: FakeCluster) -> None:
    from tests.kubernetes.storagefixtures import storage_profile

    cluster.profile_path = storage_profile(cluster)
    done = run_harness(cluster, "--dry-run-offline", "suites/storage", "-q")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    _untouched(cluster)
    documents = [d for d in _yaml_documents(done.stdout) if isinstance(d, dict)]
    kinds = [d["kind"] for d in documents]
    preflight = ["Pod"] * 8  # fio and the acceptance run's S3 client (boto3), each on the 4 nodes
    assert kinds == ["Namespace", *preflight, "PersistentVolumeClaim", "Job", "ObjectBucketClaim",
                     "ConfigMap", "Job", "Job"]
    validate_rook(documents[11])  # kubernetes-validate has no schema for it; Rook's CRD does
    assert done.stdout.count("schema: valid") == 6 + 8
    images = load_profile(cluster.profile_path).images
    assert f"preflight: can {images.s3bench} run on kcp1?" in done.stdout
    assert f"preflight: can {images.warp} run on" not in done.stdout  # a quick run never pulls it
    full = run_harness(cluster, "--dry-run-offline", "suites/storage/test_object.py", "-m", "benchmark", "-q")
    assert full.returncode == 0, full.stdout[-3000:] + full.stderr[-2000:]
    assert f"preflight: can {images.warp} run on kcp1?" in full.stdout
    assert f"preflight: can {images.s3bench} run on" not in full.stdout
    warp_job = documents[-1]
    assert warp_job["metadata"]["name"] == "warp-put-5"  # type: ignore[index]
    assert "each warp run instead: a Job on kwk1, keys through secretKeyRef" in done.stdout
    # The plan's checker knows core kinds only, and says so for the claim (see validate_rook above).
    assert "schema: custom resource: not checked here" in done.stdout
    assert "INVALID" not in done.stdout


def test_full_depth_measures_s3_with_warp_jobs(cluster: FakeCluster, fakestorage: FakeStorage) -> None:
    """`-m benchmark`: the S3 tests that judge no 4 MiB figure against its twin (the fake answers
    every warp run with a recorded 64 KiB PUT or 1 MiB mixed report, whatever size is asked)."""
    done = run_harness(cluster, "suites/storage/test_object.py", "-m", "benchmark", "-q", "-p", "no:randomly",
                       "-k", "small_objects or medium_objects or mixed_load", timeout_s=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "3 passed" in done.stdout, done.stdout[-1500:]
    run = json.loads(next((cluster.root / "runs").glob("run-*.json")).read_text())
    assert run["run"]["components"]["s3-benchmark"] == "warp 1.6.1"
    put = parse_warp(WARP_REPORTS["put"].read_text()).op("put")  # what the fake answered
    recorded = next(m for m in run["measurements"] if m["metric"] == "storage.s3.put.throughput"
                    and m["tags"]["object_size"] == str(64 * 1024))
    assert recorded["tags"]["tool"] == "warp 1.6.1"
    assert recorded["value"] == pytest.approx(put.throughput_mib_s)
    assert recorded["samples"] == pytest.approx([s.mib_s for s in put.samples])
    writes = cluster.api.writes()
    warp_jobs = [w for w in writes if w.startswith("POST") and w.endswith("/jobs")]
    assert len(warp_jobs) == 2 + 2 + 1  # put and get at 64 KiB and 1 MiB, the mixed load
    assert sum("/jobs/warp-" in w and w.startswith("DELETE") for w in writes) == len(warp_jobs)
    assert not any("/jobs/s3bench-" in w for w in writes)
    texts = [done.stdout, done.stderr, json.dumps(run)]
    for key in SECRETS:
        assert not any(key in text for text in texts), "an S3 key reached the output or a run file"
