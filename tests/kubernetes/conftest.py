"""Fixtures for the kubernetes target's tests: the fake API on a localhost port, a kubeconfig."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.profile import load_profile
from harness.targets.kubernetes import KubernetesTarget
from harness.targets.kubernetes.api import KubeAPI, load_client
from harness.targets.kubernetes.settings import ClientSettings
from tests.kubernetes.fakeapi import FakeKubernetes, serve, write_kubeconfig
from tests.kubernetes.fakecluster import FakeCluster, fake_cluster
from tests.kubernetes.fakestorage import FakeStorage
from tests.kubernetes.storagefixtures import install_fake_rook

FAST = ClientSettings(
    connect_timeout_s=1.0,
    read_timeout_s=2.0,
    attempts=3,
    backoff_s=0.01,
    backoff_max_s=0.02,
    reachability_timeout_s=1.0,
)


@pytest.fixture
def fake() -> FakeKubernetes:
    return FakeKubernetes()


@pytest.fixture
def api_url(fake: FakeKubernetes) -> Iterator[str]:
    with serve(fake) as url:
        yield url


@pytest.fixture
def kubeconfig(tmp_path: Path, api_url: str) -> Path:
    return write_kubeconfig(tmp_path / "kubeconfig", api_url)


@pytest.fixture
def api(kubeconfig: Path) -> KubeAPI:
    client = load_client(kubeconfig=kubeconfig, context=None, settings=FAST)
    return KubeAPI(api_client=client, settings=FAST, sleep=lambda s: None)


@pytest.fixture
def cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeCluster]:
    with fake_cluster(tmp_path) as found:
        for key, value in found.env.items():
            monkeypatch.setenv(key, value)
        yield found


@pytest.fixture
def k8s_target(cluster: FakeCluster) -> KubernetesTarget:
    target = KubernetesTarget(load_profile(cluster.profile_path), run_id="20250101T000000Z-abc123")
    target.with_settings(FAST)
    return target


@pytest.fixture
def fakestorage(cluster: FakeCluster) -> FakeStorage:
    """Rook's objects and the Ceph tools' answers in the fake cluster (storagefixtures.py)."""
    return install_fake_rook(cluster)
