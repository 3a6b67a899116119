"""Where warp may run on the lab: only with a binary that is there, only at the lab's own gateway."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from harness.profile import load_profile
from harness.targets.base import TargetError
from harness.targets.lab.ceph_config import make_ceph_plan
from harness.targets.lab.config import make_plan
from harness.targets.lab.storage import LabStorage
from harness.targets.storage import Bucket
from harness.workloads import warp
from harness.workloads.warp import WarpError, WarpSpec

LAB = Path(__file__).resolve().parents[2] / "profiles" / "lab.yaml"


@pytest.fixture
def storage() -> LabStorage:
    return LabStorage(make_ceph_plan(make_plan(load_profile(LAB))))


def bucket(endpoint: str) -> Bucket:
    return Bucket(name="b", endpoint=endpoint, access_key="a", secret_key="s")


def test_a_missing_binary_is_a_refusal_in_one_sentence(storage: LabStorage, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(warp.BINARY_ENV, str(tmp_path / "warp"))
    refusal = storage.warp_refusal()
    assert refusal is not None and "is not an executable warp binary" in refusal
    with pytest.raises(WarpError):
        warp.locate()
    binary = tmp_path / "warp"
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    assert warp.locate() == binary and storage.warp_refusal() is None


@pytest.mark.parametrize("endpoint", ["http://10.0.0.5:7480", "http://198.18.0.13:7480",
                                      "http://192.0.2.1:7480"])
def test_warp_goes_only_to_the_lab_gateway(storage: LabStorage, endpoint: str) -> None:
    spec = WarpSpec(op="put", endpoint=endpoint, bucket="b", object_size=65536, duration_s=6)
    with pytest.raises(TargetError, match=re.escape("only at the lab's gateway http://198.18.0.14:7480")):
        storage.run_warp(bucket(endpoint), spec)


def test_an_empty_cache_says_how_to_build_warp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(warp.BINARY_ENV, raising=False)
    monkeypatch.setenv("CLUSTER_HARNESS_CACHE", str(tmp_path))
    said = "warp is not built: run tools/build-warp" if shutil.which("go") else "Go is needed"
    with pytest.raises(WarpError, match=said):
        warp.locate()
