"""The LB's distributed locust run on the lab: workers on the load host beside the nodes, through
the LB IP, and nothing of it left afterwards, whether the run ends, fails or is interrupted."""

from __future__ import annotations

import pytest

from harness.targets.base import TargetError
from harness.targets.lab import LabTarget, net, procs
from harness.targets.lab.load_host import load_generator, load_node
from harness.workloads import locust_run
from harness.workloads.http_load import LoadSpec

pytestmark = pytest.mark.lab


def _load_host_gone(lab: LabTarget) -> None:
    host = load_node(lab.plan)
    assert host.name not in net.namespaces(), f"{host.name} outlived the run"
    assert host.root_iface not in net.root_links(), f"{host.root_iface} outlived the run"


def test_distributed_run_from_the_load_host(lab: LabTarget) -> None:
    spec = LoadSpec(users=8, seconds=2, user_rps=50, workers=2)
    with lab.network.loadbalancer(backends=3, name="locust") as lb:
        result = lab.network.http_load(lb, spec)
        assert result.failures == 0 and result.requests > 0, result.verdict()
        assert set(result.per_backend) == {b.name for b in lb.backends}  # through the LB to all three
    assert [g.name for g in result.generators] == ["hlab0-lg:worker-1", "hlab0-lg:worker-2"]
    assert all(g.wall_s > 0 for g in result.generators)
    assert result.offered_rps == 400.0 and result.mode == "distributed-2"
    _load_host_gone(lab)


def test_interrupted_distributed_run_leaves_nothing(lab: LabTarget,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []

    class Interrupted:
        def __init__(self, pids: dict[str, int]) -> None:
            seen.extend(pids.values())
            raise KeyboardInterrupt

    monkeypatch.setattr(locust_run, "_CpuSampler", Interrupted)
    with lab.network.loadbalancer(backends=3, name="locust") as lb, pytest.raises(KeyboardInterrupt):
        lab.network.http_load(lb, LoadSpec(users=4, seconds=30, workers=2))
    assert len(seen) == 2 and not [p for p in seen if procs.alive(p)]
    _load_host_gone(lab)


def test_a_busy_load_host_is_refused_and_left_alone(lab: LabTarget) -> None:
    with load_generator(lab.plan) as host:
        sleeper = procs.start(["sleep", "20"], netns=host.name, log=lab.plan.log_path(host.name, "t"),
                              pid_file=lab.plan.pid_path(host.name, "t"))
        with pytest.raises(TargetError, match="in use by another run"), load_generator(lab.plan):
            pass
        assert procs.alive(sleeper) and host.name in net.namespaces()  # the other run's, untouched
    assert not procs.alive(sleeper)
    _load_host_gone(lab)
    lab.plan.pid_path(host.name, "t").unlink(missing_ok=True)
    lab.plan.log_path(host.name, "t").unlink(missing_ok=True)
