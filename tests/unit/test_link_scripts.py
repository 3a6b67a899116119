"""The partition and link-shaping pods' own scripts, run here with `ip`, `tc` and `nft` stand-ins
that record each call and its time: what they apply, when, and what SIGTERM puts back."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from harness.targets.kubernetes.linkscripts import (
    CUT_AT,
    PARTITION_MARK,
    SHAPE_MARK,
    partition_script,
    shape_script,
)

ADDRESS = "198.18.0.12"
CUT_RULES = ('table netdev harness_partition { chain in { type filter hook ingress device "eth0" '
             "priority -500; policy drop; } }")
CHECKS = [f"nft -c -f - {CUT_RULES}", "tc qdisc show dev eth0"]
IP_ADDR = f"1: lo    inet 127.0.0.1/8 scope host lo\\n2: eth0    inet {ADDRESS}/24 scope global eth0\\n"


def _tools(tmp_path: Path, failing: str = "") -> Path:
    """`ip` answers like the node; `tc` and `nft` log '<epoch> <argv>' (one may fail)."""
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "ip").write_text(f"#!/bin/sh\nprintf '{IP_ADDR}'\n")
    for name in ("tc", "nft"):
        fail = "exit 1\n" if name == failing else ""
        stdin = '$([ "$*" = "${*%-f -}" ] || cat)'  # a ruleset given on stdin, on the same line
        (tools / name).write_text(
            f'#!/bin/sh\necho "$(date +%s.%N) {name} $* {stdin}" >> {tmp_path / "calls"}\n{fail}')
    for tool in tools.iterdir():
        tool.chmod(0o755)
    return tools


def _start(tmp_path: Path, script: str, failing: str = "") -> subprocess.Popen[str]:
    env = {"PATH": f"{_tools(tmp_path, failing)}:/usr/bin:/bin"}
    return subprocess.Popen(["sh", "-c", script], env=env, stdout=subprocess.PIPE, text=True)


def _calls(tmp_path: Path) -> list[tuple[float, str]]:
    path = tmp_path / "calls"
    lines = path.read_text().splitlines() if path.exists() else []
    return [(float(line.split(" ", 1)[0]), line.split(" ", 1)[1].rstrip()) for line in lines]


def _wait_calls(tmp_path: Path, count: int, timeout_s: float = 10) -> list[tuple[float, str]]:
    deadline = time.monotonic() + timeout_s
    while len(_calls(tmp_path)) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    return _calls(tmp_path)


def test_the_partition_is_announced_first_and_cut_at_the_announced_second(tmp_path: Path) -> None:
    pod = _start(tmp_path, partition_script(address=ADDRESS, lead_s=1, heal_after_s=30))
    assert pod.stdout is not None
    announced = CUT_AT.match(pod.stdout.readline().strip())
    assert announced is not None and announced.group(1) == "eth0"
    cut_at = int(announced.group(2))
    assert [call for _, call in _calls(tmp_path)] == CHECKS  # checked, nothing applied yet
    applied = _wait_calls(tmp_path, 4)[2:]
    assert [call for _, call in applied] == [
        f"nft -f - {CUT_RULES}", "tc qdisc replace dev eth0 root pfifo limit 0"]
    assert all(cut_at <= when < cut_at + 1 for when, _ in applied)  # at the announced second
    pod.send_signal(signal.SIGTERM)  # the undo: the pod is deleted
    out, _ = pod.communicate(timeout=10)
    assert pod.returncode == 0 and out.strip() == f"{PARTITION_MARK} healed"
    assert [call for _, call in _calls(tmp_path)[4:]] == [
        "tc qdisc del dev eth0 root", "nft delete table netdev harness_partition"]


def test_a_partition_stopped_before_its_cut_leaves_the_devices_qdisc_alone(tmp_path: Path) -> None:
    pod = _start(tmp_path, partition_script(address=ADDRESS, lead_s=5, heal_after_s=30))
    assert pod.stdout is not None and CUT_AT.match(pod.stdout.readline().strip())
    pod.send_signal(signal.SIGTERM)
    pod.communicate(timeout=10)
    assert [call for _, call in _calls(tmp_path)] == [
        *CHECKS, "nft delete table netdev harness_partition"]


@pytest.mark.parametrize("failing", ["nft", "tc"])
def test_a_cut_the_node_would_refuse_fails_before_it_is_announced(tmp_path: Path, failing: str) -> None:
    pod = _start(tmp_path, partition_script(address=ADDRESS, lead_s=0, heal_after_s=30), failing=failing)
    out, _ = pod.communicate(timeout=10)
    assert pod.returncode == 1 and CUT_AT.search(out) is None
    assert out.strip() == (f"{PARTITION_MARK} FAILED: the cut cannot be applied on this node (nft or "
                           "tc refused a check)")
    assert not any(call.startswith(("nft -f", "tc qdisc replace")) for _, call in _calls(tmp_path))


def test_the_partition_heals_itself_when_its_timer_ends(tmp_path: Path) -> None:
    pod = _start(tmp_path, partition_script(address=ADDRESS, lead_s=0, heal_after_s=1))
    out, _ = pod.communicate(timeout=10)
    assert out.splitlines()[-1] == f"{PARTITION_MARK} healed"
    assert [call for _, call in _calls(tmp_path)][-2:] == [
        "tc qdisc del dev eth0 root", "nft delete table netdev harness_partition"]


def test_a_node_without_the_address_fails_in_a_sentence(tmp_path: Path) -> None:
    pod = _start(tmp_path, partition_script(address="198.18.0.99", lead_s=0, heal_after_s=1))
    out, _ = pod.communicate(timeout=10)
    assert pod.returncode == 2 and out.strip() == (
        f"{PARTITION_MARK} FAILED: no device carries 198.18.0.99")
    assert _calls(tmp_path) == []


@pytest.mark.parametrize("rate_mbit", [100.0, 941.0])
def test_the_link_is_shaped_both_ways_then_restored_on_sigterm(tmp_path: Path, rate_mbit: float) -> None:
    pod = _start(tmp_path, shape_script(address=ADDRESS, rate_mbit=rate_mbit, max_s=30))
    assert pod.stdout is not None
    assert pod.stdout.readline().strip() == f"{SHAPE_MARK} eth0 at {rate_mbit:g} Mbit/s"
    applied = [call for _, call in _calls(tmp_path)]  # all of it before the announcement
    rate_bytes = int(rate_mbit * 1_000_000 / 8)
    assert applied[0].startswith("nft -c -f - table netdev harness_shape") and applied[1] == CHECKS[1]
    assert applied[2].startswith(f"tc qdisc replace dev eth0 root tbf rate {rate_mbit:g}mbit burst ")
    assert applied[3].startswith("nft -f - table netdev harness_shape { chain in { type filter hook "
                                 'ingress device "eth0" priority -500; policy accept; limit rate over '
                                 f"{rate_bytes} bytes/second burst ")
    pod.send_signal(signal.SIGTERM)
    out, _ = pod.communicate(timeout=10)
    assert out.strip() == f"{SHAPE_MARK} restored"
    assert [call for _, call in _calls(tmp_path)][len(applied):] == [
        "tc qdisc del dev eth0 root", "nft delete table netdev harness_shape"]
