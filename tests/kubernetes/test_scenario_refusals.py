"""Every shipped scenario runs on both targets or is refused on one with a sentence that says
why, before anything is injected; the dry run prints the same sentence."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.chaos import load_scenario
from harness.chaos.refusals import target_refusals
from harness.profile import load_profile
from harness.targets import make_target
from tests.kubernetes.fakecluster import FakeCluster, fake_cluster
from tests.kubernetes.storagefixtures import storage_profile
from tests.kubernetes.test_suites_on_fakes import ROOT, run_harness

SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
RUN = "20250101T000000Z-abc123"
REFUSED_ON_TALOS_WITHOUT_BMC = {
    "lb-announcer-power-loss": ["method[0] power_off: power_off needs a BMC",
                                "rollback[0] power_on: power_on needs a BMC"],
    "osd-node-power-loss": ["method[0] power_off: power_off needs a BMC",
                            "rollback[0] power_on: power_on needs a BMC",
                            "observe io (storage.rbd_write): profile fakecluster has no storage"],
    "vip-holder-power-loss": ["method[0] power_off: power_off needs a BMC",
                              "rollback[0] power_on: power_on needs a BMC"],
}


@pytest.fixture
def no_bmc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeCluster]:
    with fake_cluster(tmp_path, bmc=False) as found:
        for key, value in found.env.items():
            monkeypatch.setenv(key, value)
        yield found


def _starts(found: list[str], expected: list[str]) -> bool:
    return len(found) == len(expected) and all(f.startswith(e) for f, e in zip(found, expected, strict=True))


def test_the_lab_runs_every_shipped_scenario() -> None:
    lab = make_target("lab", load_profile(ROOT / "profiles" / "lab.yaml"), run_id=RUN)
    assert {path.stem: target_refusals(load_scenario(path), lab) for path in SCENARIOS} == {
        path.stem: [] for path in SCENARIOS}


def test_talos_without_a_bmc_refuses_exactly_what_it_cannot_do(no_bmc: FakeCluster) -> None:
    talos = make_target("kubernetes", load_profile(no_bmc.profile_path), run_id=RUN)
    found = {path.stem: target_refusals(load_scenario(path), talos) for path in SCENARIOS}
    refused = {name: why for name, why in found.items() if why}
    assert refused.keys() == REFUSED_ON_TALOS_WITHOUT_BMC.keys(), refused
    for name, expected in REFUSED_ON_TALOS_WITHOUT_BMC.items():
        assert _starts(refused[name], expected), (name, refused[name])
    # The crash and the graceful stop both run; the reboot variant stands in for power loss.
    assert found["etcd-leader-killed"] == [] and found["etcd-leader-stopped"] == []
    assert found["vip-holder-reboot"] == []
    assert found["lb-announcer-reboot"] == []


def test_talos_with_a_bmc_and_rook_runs_every_shipped_scenario(cluster: FakeCluster) -> None:
    """The crash (a kill pod) and the OSD scenario's writer (a fio pod on a Rook PVC) included."""
    talos = make_target("kubernetes", load_profile(storage_profile(cluster)), run_id=RUN)
    assert {path.stem: target_refusals(load_scenario(path), talos) for path in SCENARIOS} == {
        path.stem: [] for path in SCENARIOS}
    assert cluster.talos_calls() == [] and cluster.api.calls == []


def test_the_dry_run_says_which_scenarios_talos_refuses_and_why(no_bmc: FakeCluster) -> None:
    done = run_harness(no_bmc, "--dry-run-offline", "scenarios/", "-q")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    plans = done.stdout.split("faults, in order, with the guard rails checked first", 1)[1]
    blocks = {block.split("(", 1)[1].split(")", 1)[0]: block
              for block in plans.split("\nscenario ")[1:] if "(" in block}
    for path in SCENARIOS:
        block = blocks[path.name]
        if path.stem in REFUSED_ON_TALOS_WITHOUT_BMC:
            assert "WOULD BE REFUSED: the target cannot run it: " in block, block
            assert REFUSED_ON_TALOS_WITHOUT_BMC[path.stem][0] in block
        else:
            assert "WOULD BE REFUSED" not in block, block
    reboot = blocks["vip-holder-reboot.yaml"]
    assert "talosctl --nodes" in reboot and " reboot" in reboot
    assert "service etcd stop (SIGTERM, graceful)" in blocks["etcd-leader-stopped.yaml"]
    summary = done.stdout.split("would refuse, and why", 1)[1]
    listed = [line.split(": ", 1) for line in summary.splitlines() if ".yaml: " in line]
    assert sorted(name for name, _ in listed) == sorted(
        f"{name}.yaml" for name in REFUSED_ON_TALOS_WITHOUT_BMC)
    assert all(why.startswith("the target cannot run it: method[0] ") for _, why in listed)
    assert no_bmc.talos_calls() == [] and no_bmc.api.calls == []
