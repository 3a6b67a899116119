"""locust's processes for real, on loopback against a pod server: one process, a master with two
workers, and an interrupted run; none may outlive the call."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import psutil
import pytest

from harness.workloads import locust_run
from harness.workloads.http_load import LoadSpec
from harness.workloads.locust_run import free_port


def _locusts() -> list[psutil.Process]:
    """Our own descendants that run locust (none should be left after a run)."""
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if "locust" in " ".join(child.cmdline()) and child.status() != psutil.STATUS_ZOMBIE:
                found.append(child)
        except psutil.NoSuchProcess:
            continue
    return found


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    port = free_port("127.0.0.1")
    process = subprocess.Popen([sys.executable, "-m", "harness.workloads.pod_server", "--name", "alpha",
                                "--ports", str(port), "--bind", "127.0.0.1"])
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with locust_run.socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=5)


def test_one_process_paced(server: str) -> None:
    result = locust_run.run(url=server, spec=LoadSpec(users=2, seconds=2, user_rps=50))
    assert result.requests > 0 and result.failures == 0 and result.per_backend.keys() == {"alpha"}
    assert result.offered_rps == 100.0 and result.rps <= 100.0 * 1.1  # paced: never above offered
    assert [g.name for g in result.generators] == ["locust"]
    assert 0.0 < result.generators[0].busy < 1.5
    assert not _locusts()


def test_master_and_two_workers(server: str) -> None:
    result = locust_run.run(url=server, spec=LoadSpec(users=4, seconds=2, user_rps=25, workers=2))
    assert result.requests > 0 and result.failures == 0 and result.mode == "distributed-2"
    assert [g.name for g in result.generators] == ["workstation:worker-1", "workstation:worker-2"]
    assert all(g.wall_s > 0 for g in result.generators)
    assert not _locusts()


def test_interrupted_run_leaves_no_process(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    class Interrupted:
        def __init__(self, pids: dict[str, int]) -> None:
            assert len(pids) == 2  # both workers started (and the master) before the Ctrl-C
            raise KeyboardInterrupt

    monkeypatch.setattr(locust_run, "_CpuSampler", Interrupted)
    with pytest.raises(KeyboardInterrupt):
        locust_run.run(url=server, spec=LoadSpec(users=2, seconds=30, workers=2))
    assert not _locusts()
