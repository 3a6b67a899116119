"""`harness clean`: orphans found by label, listed, deleted only after confirmation or --yes."""

from __future__ import annotations

from typer.testing import CliRunner

from harness.cli import app
from tests.kubernetes.fakecluster import FakeCluster

LABELS = {"app.kubernetes.io/managed-by": "cluster-harness", "harness/run-id": "old-run"}


def _seed(cluster: FakeCluster) -> None:
    cluster.api.put("v1", "namespaces", {"metadata": {"name": "harness-old-run", "labels": LABELS}})
    cluster.api.put("v1", "namespaces", {"metadata": {"name": "kube-system"}})
    cluster.api.put(
        "cilium.io/v2alpha1",
        "ciliumloadbalancerippools",
        {"metadata": {"name": "harness-pool", "labels": LABELS}},
    )
    cluster.api.put(
        "cilium.io/v2alpha1", "ciliumloadbalancerippools", {"metadata": {"name": "home-pool"}}
    )


def test_clean_asks_and_keeps_everything_on_no(cluster: FakeCluster) -> None:
    _seed(cluster)
    result = CliRunner().invoke(app, ["clean", "--profile", str(cluster.profile_path)], input="n\n")
    assert result.exit_code == 1
    assert "namespaces/harness-old-run (run old-run)" in result.output
    assert "ciliumloadbalancerippools.cilium.io/harness-pool (run old-run)" in result.output
    assert cluster.api.writes() == []


def test_clean_yes_deletes_only_labelled_objects(cluster: FakeCluster) -> None:
    _seed(cluster)
    result = CliRunner().invoke(app, ["clean", "--profile", str(cluster.profile_path), "--yes"])
    assert result.exit_code == 0, result.output
    assert cluster.api.writes() == [
        "DELETE /api/v1/namespaces/harness-old-run",
        "DELETE /apis/cilium.io/v2alpha1/ciliumloadbalancerippools/harness-pool",
    ]
    assert cluster.api.names("v1", "namespaces") == ["kube-system"]
    assert cluster.api.names("cilium.io/v2alpha1", "ciliumloadbalancerippools") == ["home-pool"]


def test_clean_with_nothing_to_do(cluster: FakeCluster) -> None:
    result = CliRunner().invoke(app, ["clean", "--profile", str(cluster.profile_path)])
    assert result.exit_code == 0 and "nothing to clean" in result.output
