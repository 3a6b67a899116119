"""The `storage.rbd_write` writer on the kubernetes target, against the fake API, fake Rook and a
fake kubelet that replays real fio output (`fakefiowriter.py`): a PVC on the Rook block class
and a pod pinned off the disrupted node, bounded, read while it runs, and deleted on every path;
then a whole OSD-loss scenario through the runner, and the dry run listing both objects."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from harness.chaos import load_scenario
from harness.chaos.io_writer import writer_job
from harness.chaos.runner import RunContext, run_scenario
from harness.profile import load_profile
from harness.targets.base import TargetError
from harness.targets.kubernetes import KubernetesTarget
from harness.targets.kubernetes.fiowriter import writer_node
from tests.kubernetes.fakecluster import FakeCluster
from tests.kubernetes.fakefiowriter import FakeFioWriters, recorded_reports
from tests.kubernetes.fakestorage import FakeStorage
from tests.kubernetes.test_network_on_fake_api import NS, make_target
from tests.kubernetes.test_suites_on_fakes import run_harness


@pytest.fixture
def writers(cluster: FakeCluster) -> Iterator[FakeFioWriters]:
    found = FakeFioWriters(cluster.api).install()
    yield found
    found.close()


@pytest.fixture
def target(cluster: FakeCluster, fakestorage: FakeStorage,
           writers: FakeFioWriters) -> Iterator[KubernetesTarget]:
    found = make_target(cluster.profile_path)
    yield found
    found.release()


def pods_and_claims(cluster: FakeCluster) -> list[str]:
    return [*cluster.api.names("v1", "pods", NS), *cluster.api.names("v1", "persistentvolumeclaims", NS)]


def test_the_writer_is_a_bounded_pod_on_a_rook_pvc_read_while_it_runs(
        target: KubernetesTarget, cluster: FakeCluster) -> None:
    storage = target.storage
    assert storage.background_fio_refusal() is None
    node = storage.writer_node(avoid={"kwk1"})  # the first worker is the one losing power
    job = writer_job("io", 3)
    with storage.block_volume(1.0, on=node) as volume:
        claim = cluster.api.get("v1", "persistentvolumeclaims", volume.image, NS)
        assert claim is not None and claim["spec"]["storageClassName"] == "ceph-block"
        before = time.time()
        run = storage.start_fio(volume, job)  # returns once fio printed its first report
        (pod,) = [cluster.api.get("v1", "pods", n, NS) for n in cluster.api.names("v1", "pods", NS)
                  if n.startswith("fio-writer")]
        assert pod is not None and pod["spec"]["nodeName"] == node == "kcp1"
        assert pod["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "cluster-harness"
        argv = pod["spec"]["containers"][0]["command"]
        assert {"--runtime=3", "--time_based", "--status-interval=1", "--rate=40m"} <= set(argv)
        assert pod["spec"]["activeDeadlineSeconds"] >= 3 and pod["spec"]["restartPolicy"] == "Never"
        early = len(run.completions())  # the log is kept only when fio ends or is stopped: none yet
        result = run.finish(timeout_s=10)
        done = run.completions()
        run.stop()
        run.stop()  # twice is safe
        assert pods_and_claims(cluster) == [volume.image]  # the pod went, the volume is still there
    assert pods_and_claims(cluster) == []
    last = recorded_reports()[-1]["jobs"][0]["write"]  # type: ignore[index]
    assert early == 0 and len(done) == last["lat_ns"]["N"]
    assert sum(c.size for c in done) == last["io_bytes"] == result.io_mib * (1 << 20)
    assert done[0].time >= before  # stamped by the pod's clock, after it started


def test_a_writer_whose_fio_cannot_open_the_device_fails_in_fios_words_and_is_deleted(
        target: KubernetesTarget, cluster: FakeCluster) -> None:
    storage = target.storage
    with storage.block_volume(1.0, on="kcp2") as volume:
        broken = volume.__class__(**{**volume.__dict__, "image": "no-such-claim"})
        with pytest.raises(TargetError, match="No such device: /dev/harness-rbd"):
            storage.start_fio(broken, writer_job("io", 3))
        assert [n for n in cluster.api.names("v1", "pods", NS) if n.startswith("fio-writer")] == []
    assert pods_and_claims(cluster) == []


def test_the_writer_node_avoids_every_disrupted_node_workers_first(cluster: FakeCluster) -> None:
    profile = load_profile(cluster.profile_path)
    assert writer_node(profile, avoid=()) == "kwk1"
    assert writer_node(profile, avoid={"kwk1"}) == "kcp1"
    assert writer_node(profile, avoid={"kwk1", "kcp1", "kcp2"}) == "kcp3"
    with pytest.raises(TargetError, match="no node is left for the writer"):
        writer_node(profile, avoid={"kwk1", "kcp1", "kcp2", "kcp3"})


SCENARIO = {
    "title": "OSD node loses power during writes (short)",
    "steady_state": [{"probe": "storage.health_ok", "tolerance": "ok"}],
    "method": [{"name": "power off an OSD node", "action": "power_off", "target": "storage.osd_node",
                "duration_s": 1}],
    "observe": {"io": {"probe": "storage.rbd_write", "duration_s": 3, "lead_s": 0.5}},
    "expectations": ["io.completed >= 1"],
    "rollbacks": [{"action": "power_on", "target": "storage.osd_node"}],
    "recovery_timeout_s": 5,
}


def test_an_osd_loss_scenario_writes_off_the_lost_node_and_leaves_nothing(
        target: KubernetesTarget, cluster: FakeCluster, tmp_path: Path) -> None:
    path = tmp_path / "osd-loss.yaml"
    path.write_text(yaml.safe_dump(SCENARIO))
    created: list[str] = []
    cluster.api.hooks.append(lambda event, resource, ns, obj: created.append(
        f"{event} {resource} {obj['metadata']['name']} {obj.get('spec', {}).get('nodeName', '')}".strip()))
    result = run_scenario(load_scenario(path), context=RunContext(
        target=target, profile=target.profile, source=str(path), lock_path=tmp_path / "lock"))
    assert result.status == "completed", result.error
    assert result.bindings == {"storage.osd_node": "kwk1"}
    writer_pods = [c for c in created if c.startswith("create pods fio-writer")]
    assert len(writer_pods) == 1 and writer_pods[0].endswith(" kcp1")  # never on kwk1
    (io,) = result.observations
    last = recorded_reports()[-1]["jobs"][0]["write"]  # type: ignore[index]
    assert io.availability.samples == last["lat_ns"]["N"]
    assert result.metrics["io.mib"] == last["io_bytes"] / (1 << 20)
    assert [e.ok for e in result.expectations] == [True]
    assert [c.split()[0:2] for c in created if "fio-writer" in c or "persistentvolumeclaims" in c] == [
        ["create", "persistentvolumeclaims"], ["create", "pods"], ["delete", "pods"],
        ["delete", "persistentvolumeclaims"]]
    assert pods_and_claims(cluster) == []
    assert cluster.state()["down"] == []  # powered on again


def test_the_dry_run_lists_the_writers_pvc_and_pod(cluster: FakeCluster,
                                                    fakestorage: FakeStorage) -> None:
    done = run_harness(cluster, "--dry-run-offline", "scenarios/osd-node-power-loss.yaml", "-q")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "WOULD BE REFUSED" not in done.stdout
    assert "# create PersistentVolumeClaim rbd-1" in done.stdout
    assert "# create Pod fio-writer-chaos-io-2" in done.stdout
    assert "the background writer: fio on kcp1 (off kwk1, which the method disrupts)" in done.stdout
    assert "on kcp1: create PersistentVolumeClaim and Pod fio-writer-chaos-io-2" in done.stdout
    section = done.stdout.split("# create Pod fio-writer-chaos-io-2", 1)[1].split("---", 1)[0]
    assert "schema: valid" in section and "--status-interval=1" in section
    assert cluster.api.calls == [] and cluster.talos_calls() == []
