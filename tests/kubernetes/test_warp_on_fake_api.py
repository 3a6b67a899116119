"""warp on the kubernetes target against the fake API + fake Rook (see `fakestorage.py`): a Job on
the client node whose report is a real one warp printed on the lab, its figures parsed exactly as
the lab's; the Job deleted on every path; failures and missing reports in one sentence naming the
pod; the keys in no log line and no request; the suites pick warp at full depth."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest

from harness.plugin import Depth
from harness.targets.base import TargetError
from harness.targets.kubernetes import KubernetesTarget
from harness.targets.kubernetes.storagewarp import report_in, warp_error_in
from harness.targets.storage import Bucket
from harness.workloads.warp import WarpSpec, parse_warp
from suites.storage.s3runs import choose_tool, put_and_get, run_warp, warp_spec
from tests.kubernetes.fakecluster import FakeCluster
from tests.kubernetes.fakestorage import ACCESS_KEY, SECRET_KEY, WARP_REPORTS, FakeStorage
from tests.kubernetes.test_network_on_fake_api import NS, make_target
from tests.kubernetes.test_storage_on_fake_api import b64, writes_since

PUT_REPORT = WARP_REPORTS["put"].read_text()
MIXED_REPORT = WARP_REPORTS["mixed"].read_text()


@pytest.fixture
def target(cluster: FakeCluster, fakestorage: FakeStorage) -> Iterator[KubernetesTarget]:
    found = make_target(cluster.profile_path)
    yield found
    found.release()


def put_spec(bucket: Bucket) -> WarpSpec:
    return WarpSpec(op="put", endpoint=bucket.endpoint, bucket=bucket.name, object_size=64 * 1024,
                    duration_s=8)


def test_warp_runs_as_a_job_and_reports_the_recorded_figures(
        target: KubernetesTarget, cluster: FakeCluster, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    assert target.storage.warp_refusal() is None
    mark = len(cluster.api.calls)
    with target.storage.bucket() as bucket:
        result = target.storage.run_warp(bucket, put_spec(bucket))
    ran = cluster.api.get("v1", "pods", "warp-put-2-x1", NS)  # the Job's pod, as the fake made it
    assert ran is not None
    assert result == parse_warp(PUT_REPORT)  # every figure as warp printed it on the lab
    assert result.version == "1.6.1" and result.op("put").throughput_mib_s > 0
    assert writes_since(cluster, mark) == [
        f"POST /apis/objectbucket.io/v1alpha1/namespaces/{NS}/objectbucketclaims",
        f"POST /apis/batch/v1/namespaces/{NS}/jobs",
        f"DELETE /apis/batch/v1/namespaces/{NS}/jobs/warp-put-2",
        f"DELETE /apis/objectbucket.io/v1alpha1/namespaces/{NS}/objectbucketclaims/bucket-1",
    ]
    pod = ran["spec"]
    assert pod["nodeName"] == "kwk1" and pod["containers"][0]["image"] == "quay.io/minio/warp:v1.6.1"
    argv = pod["containers"][0]["command"]
    pairs = dict(zip(argv[2::2], argv[3::2], strict=False))
    assert pairs["--host"] == "rook-ceph-rgw-my-store.rook-ceph.svc:80"  # the claim's RGW Service
    assert pairs["--bucket"] == "bucket-1-0a1b2c3d"
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for key in (ACCESS_KEY, SECRET_KEY, b64(ACCESS_KEY), b64(SECRET_KEY)):
        assert key not in logged and key not in json.dumps(ran)
        assert key not in json.dumps([c.query for c in cluster.api.calls])


def test_a_log_without_a_report_is_one_sentence_and_the_job_still_goes(
        target: KubernetesTarget, cluster: FakeCluster) -> None:
    with target.storage.bucket() as bucket:
        cluster.api.objects[("v1", NS, "secrets")]["bucket-1"]["data"] = {}  # the fake's warp: silent
        mark = len(cluster.api.calls)
        with pytest.raises(TargetError) as raised:
            target.storage.run_warp(bucket, put_spec(bucket))
    said = str(raised.value)
    assert said == f"warp put printed no JSON report in pod {NS}/warp-put-2-x1 on kwk1: no log"
    assert f"DELETE /apis/batch/v1/namespaces/{NS}/jobs/warp-put-2" in writes_since(cluster, mark)
    assert cluster.api.names("batch/v1", "jobs", NS) == []


def test_a_failed_run_quotes_warps_own_error(target: KubernetesTarget, cluster: FakeCluster) -> None:
    # The shape of warp's `--json` fatal error (cli/print.go, v1.6.1); the words are this test's.
    said = {"error": {"cause": {"error": {}, "message": "connection refused"}, "sysinfo": None,
                      "message": "Error preparing server", "type": "fatal"}, "status": "error"}

    def fail(event: str, resource: str, namespace: str, obj: dict[str, Any]) -> None:
        if event == "create" and resource == "jobs":
            with cluster.api.lock:
                obj["status"] = {"failed": 1, "conditions": [
                    {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}]}
            cluster.api.logs[f"{obj['metadata']['name']}-x1"] = json.dumps(said, indent=1) + "\n"

    with target.storage.bucket() as bucket:
        cluster.api.hooks.append(fail)
        with pytest.raises(TargetError, match=re.escape(
                f"warp put failed (BackoffLimitExceeded) in pod {NS}/warp-put-2-x1 on kwk1: "
                "Error preparing server: connection refused")):
            target.storage.run_warp(bucket, put_spec(bucket))
    assert cluster.api.names("batch/v1", "jobs", NS) == []


def test_warp_goes_only_to_its_buckets_endpoint(target: KubernetesTarget, cluster: FakeCluster) -> None:
    with target.storage.bucket() as bucket:
        elsewhere = WarpSpec(op="put", endpoint="http://10.0.0.5:7480", bucket=bucket.name,
                             object_size=65536, duration_s=8)
        with pytest.raises(TargetError, match="pointed only at its bucket's own endpoint"):
            target.storage.run_warp(bucket, elsewhere)
    assert not any(c.path.endswith("/jobs") for c in cluster.api.calls)


def test_the_report_is_read_out_of_a_log_with_other_lines() -> None:
    # stderr lands in the same log: a line before the report and after it (warp prints its
    # clean-up and benchdata troubles there) must not spoil it.
    log = f"Unable to write benchmark data: no space left\n{MIXED_REPORT}\nCleanup failed: timeout\n"
    found = report_in(log)
    assert found is not None and parse_warp(found) == parse_warp(MIXED_REPORT)
    assert report_in("no report at all\n") is None
    assert report_in('{"status": "error", "error": {"message": "x"}}\n') is None
    assert warp_error_in(MIXED_REPORT) is None


def test_full_depth_picks_warp_on_kubernetes_and_records_its_version(target: KubernetesTarget) -> None:
    recorded: dict[str, str] = {}
    assert not choose_tool(target, Depth("quick"), recorded.update).warp
    assert recorded["s3-benchmark"].startswith("boto3 ")
    tool = choose_tool(target, Depth("full"), recorded.update)
    assert tool.warp
    with target.storage.bucket() as bucket:
        phases = put_and_get(target, bucket, tool, 64 * 1024, objects=200, max_s=15,
                             record_components=recorded.update)
        mixed = run_warp(target, bucket, warp_spec("mixed", bucket, 1 << 20), recorded.update)
    assert recorded["s3-benchmark"] == "warp 1.6.1" and phases.tool == "warp 1.6.1"
    # The fake answers put with the 64 KiB PUT run, get with the mixed run (its measured GET).
    put, get = parse_warp(PUT_REPORT).op("put"), parse_warp(MIXED_REPORT).op("get")
    assert phases.phase("put", 64 * 1024) == put.as_phase()
    assert phases.phase("get", 64 * 1024).throughput_mib_s == get.throughput_mib_s
    assert phases.samples[("get", 64 * 1024)] == tuple(s.mib_s for s in get.samples)
    assert mixed == parse_warp(MIXED_REPORT)
