"""The kubernetes Storage capability against the fake API + fake Rook (see `fakestorage.py`): the
exact objects created and removed, the toolbox commands, the CephCluster fallback, and the S3
keys, which reach the `Bucket` value and nothing else (no log line, no object the target sends)."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator

import pytest

from harness.targets.base import TargetError
from harness.targets.kubernetes import KubernetesTarget
from harness.workloads.fio import SEQ_READ_4M, SEQ_WRITE_4M
from harness.workloads.s3bench import S3BenchSpec
from tests.kubernetes.fakecluster import FakeCluster
from tests.kubernetes.fakestorage import ACCESS_KEY, CEPH_NS, DEGRADED, SECRET_KEY, FakeStorage
from tests.kubernetes.test_network_on_fake_api import NS, make_target


@pytest.fixture
def target(cluster: FakeCluster, fakestorage: FakeStorage) -> Iterator[KubernetesTarget]:
    found = make_target(cluster.profile_path)
    yield found
    found.release()


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def writes_since(cluster: FakeCluster, mark: int) -> list[str]:
    return [f"{c.method} {c.path}" for c in cluster.api.calls[mark:] if c.method != "GET"]


def test_health_comes_from_the_toolbox(target: KubernetesTarget, fakestorage: FakeStorage) -> None:
    status = target.storage.health()
    assert status.health == "HEALTH_OK" and status.quorum == ("a", "b", "c")
    assert (status.osds, status.osds_up, status.osds_in) == (4, 4, 4) and status.all_pgs_active_clean
    assert status.pool("rbd") is not None and status.pool("rbd").size == 3  # type: ignore[union-attr]
    assert fakestorage.ceph_calls == [["ceph", "status", "-f", "json"],
                                      ["ceph", "osd", "pool", "ls", "detail", "-f", "json"]]


def test_degraded_status_is_reported(target: KubernetesTarget, fakestorage: FakeStorage) -> None:
    fakestorage.status_file = DEGRADED
    status = target.storage.health()
    assert status.health == "HEALTH_WARN" and status.osds_up == 3
    assert {c.code for c in status.checks} >= {"OSD_DOWN"}


def test_without_a_toolbox_the_cephcluster_status_is_read(target: KubernetesTarget, cluster: FakeCluster,
                                                          fakestorage: FakeStorage) -> None:
    for name in cluster.api.names("v1", "pods", CEPH_NS):
        if name.startswith("rook-ceph-tools"):
            del cluster.api.objects[("v1", CEPH_NS, "pods")][name]
    cluster.api.put("ceph.rook.io/v1", "cephclusters",
                    FakeStorage(cluster.api, nodes=["x"], status_file=DEGRADED).ceph_cluster(), CEPH_NS)
    status = target.storage.health()
    assert status.health == "HEALTH_WARN" and "OSD_DOWN" in {c.code for c in status.checks}
    assert status.osds == 0 and status.quorum == ()  # unknown: the count checks fail, not pass
    assert fakestorage.ceph_calls == []
    with pytest.raises(TargetError, match="toolbox"):
        target.storage.osd_ok_to_stop("kcp2")


def test_ok_to_stop_asks_about_the_nodes_osds(target: KubernetesTarget, fakestorage: FakeStorage) -> None:
    assert target.storage.osd_ok_to_stop("kcp2") is True
    fakestorage.ok_to_stop = False
    assert target.storage.osd_ok_to_stop("kcp2") is False
    assert fakestorage.ceph_calls == [["ceph", "osd", "ok-to-stop", "1", "-f", "json"]] * 2
    with pytest.raises(TargetError, match="no OSD pod runs on nowhere"):
        target.storage.osd_ok_to_stop("nowhere")


def test_placement_comes_from_the_rook_pods(target: KubernetesTarget) -> None:
    storage = target.storage
    assert storage.osd_nodes() == ["kcp1", "kcp2", "kcp3", "kwk1"]
    assert storage.gateway_node() == "kcp1"
    client = storage.client(None)
    assert (client.node, client.colocated_with_osd) == ("kwk1", True)


def test_block_volume_and_fio_create_exactly_a_pvc_and_a_job(target: KubernetesTarget,
                                                              cluster: FakeCluster) -> None:
    mark = len(cluster.api.calls)
    with target.storage.block_volume(2) as volume:
        assert (volume.image, volume.client_node, volume.pool) == ("rbd-1", "kwk1", "ceph-block")
        pvc = cluster.api.get("v1", "persistentvolumeclaims", "rbd-1", NS)
        assert pvc is not None and pvc["spec"]["volumeMode"] == "Block"
        result = target.storage.run_fio(volume, SEQ_WRITE_4M)
        job = cluster.api.calls[mark + 1]
    assert result.job == "seq-write-4m" and result.bandwidth_mib_s == pytest.approx(97.44, rel=1e-3)
    assert result.io_mib == 2048
    assert writes_since(cluster, mark) == [
        f"POST /api/v1/namespaces/{NS}/persistentvolumeclaims",
        f"POST /apis/batch/v1/namespaces/{NS}/jobs",
        f"DELETE /apis/batch/v1/namespaces/{NS}/jobs/fio-seq-write-4m-2",
        f"DELETE /api/v1/namespaces/{NS}/persistentvolumeclaims/rbd-1",
    ]
    assert job.method == "POST"
    assert cluster.api.names("v1", "persistentvolumeclaims", NS) == []


def test_fio_on_a_missing_volume_fails_with_fios_words(target: KubernetesTarget) -> None:
    from harness.targets.storage import BlockVolume

    ghost = BlockVolume(pool="ceph-block", image="rbd-404", size_gib=1, client_node="kwk1")
    with pytest.raises(TargetError, match="fio seq-read-4m on kwk1: fio output"):
        target.storage.run_fio(ghost, SEQ_READ_4M)


def test_bucket_and_s3bench_keep_the_keys_out_of_everything(
        target: KubernetesTarget, cluster: FakeCluster, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    mark = len(cluster.api.calls)
    with target.storage.bucket() as bucket:
        assert (bucket.access_key, bucket.secret_key) == (ACCESS_KEY, SECRET_KEY)
        assert bucket.endpoint == "http://rook-ceph-rgw-my-store.rook-ceph.svc:80"
        assert bucket.name == "bucket-1-0a1b2c3d"
        assert ACCESS_KEY not in repr(bucket) and SECRET_KEY not in repr(bucket)
        spec = S3BenchSpec(endpoint=bucket.endpoint, bucket=bucket.name, objects=150)
        result = target.storage.run_s3bench(bucket, spec)
    assert result.phase("get", 4 << 20).throughput_mib_s == 108.0 and result.phase("put", 4 << 20).errors == 0
    assert writes_since(cluster, mark) == [
        f"POST /apis/objectbucket.io/v1alpha1/namespaces/{NS}/objectbucketclaims",
        f"POST /api/v1/namespaces/{NS}/configmaps",
        f"POST /apis/batch/v1/namespaces/{NS}/jobs",
        f"DELETE /apis/batch/v1/namespaces/{NS}/jobs/s3bench-3",
        f"DELETE /api/v1/namespaces/{NS}/configmaps/s3bench-script-2",
        f"DELETE /apis/objectbucket.io/v1alpha1/namespaces/{NS}/objectbucketclaims/bucket-1",
    ]
    assert cluster.api.names("v1", "secrets", NS) == [] and cluster.api.names("v1", "configmaps", NS) == []
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "BUCKET_NAME" in logged  # at DEBUG the client logs response bodies: the ConfigMap's is here
    for key in (ACCESS_KEY, SECRET_KEY, b64(ACCESS_KEY), b64(SECRET_KEY)):
        assert key not in logged
        assert key not in json.dumps([c.query for c in cluster.api.calls])


def test_s3bench_without_keys_in_the_secret_reports_errors(target: KubernetesTarget,
                                                           cluster: FakeCluster) -> None:
    with target.storage.bucket() as bucket:
        cluster.api.objects[("v1", NS, "secrets")]["bucket-1"]["data"] = {}
        result = target.storage.run_s3bench(bucket, S3BenchSpec(endpoint=bucket.endpoint, bucket=bucket.name,
                                                                objects=10))
    assert result.phase("put", 4 << 20).errors == 10 and result.phase("put", 4 << 20).ops == 0
