"""What a selection of tests needs before the first one runs, and the images that follow."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.chaos import load_scenario
from harness.plugin.preflight import scenario_needs
from harness.profile import load_profile
from harness.targets.kubernetes.preflight import preflight_images

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("scenario", "needs"), [
    ("vip-holder-power-loss", set()),
    ("etcd-leader-killed", {"kill"}),  # the kill pod runs the debug image
    ("follower-partitioned", {"partition"}),
    ("lb-announcer-power-loss", {"network"}),
    ("osd-node-power-loss", {"storage"}),
])
def test_shipped_scenarios_need_what_they_use(scenario: str, needs: set[str]) -> None:
    assert scenario_needs(load_scenario(ROOT / "scenarios" / f"{scenario}.yaml")) == needs


def test_images_follow_the_needs_and_storage_only_when_enabled() -> None:
    profile = load_profile(ROOT / "profiles" / "homelab.example.yaml")
    images = profile.images
    assert preflight_images(profile, {"controlplane"}) == {}
    assert preflight_images(profile, {"nodes", "partition"}) == {
        images.debug: ["uname", "-m"], images.netshoot: ["nft", "--version"]}
    assert set(preflight_images(profile, {"network", "storage"})) == {
        images.agnhost, images.iperf3, images.fio}
    # The S3 client of the depth only: boto3's image for the acceptance run, warp's at full depth.
    assert set(preflight_images(profile, {"storage", "s3"})) == {images.fio, images.s3bench}
    assert preflight_images(profile, {"storage", "s3-warp"}) == {
        images.fio: ["fio", "--version"], images.warp: ["/warp", "--version"]}
    off = profile.model_copy(update={"storage": profile.storage.model_copy(update={"enabled": False})})
    assert set(preflight_images(off, {"storage", "s3", "s3-warp"})) == set()


def test_the_sockperf_image_is_checked_with_the_network_only_when_set() -> None:
    profile = load_profile(ROOT / "profiles" / "homelab.example.yaml")
    assert profile.images.sockperf is None
    assert "sockperf" not in {c[0] for c in preflight_images(profile, {"network"}).values()}
    image = "registry.example/sockperf:test"
    with_image = profile.model_copy(update={"images": profile.images.model_copy(update={"sockperf": image})})
    assert preflight_images(with_image, {"network"})[image] == ["sockperf", "--version"]
    assert image not in preflight_images(with_image, {"nodes", "storage"})
