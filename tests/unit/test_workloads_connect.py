"""Connect probes against local fake servers on 127.0.0.1 (no lab needed)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from harness.workloads.connect import ProbeSpec, probe_many


@pytest.fixture
def servers() -> Iterator[tuple[int, int, int]]:
    """(listening TCP port, UDP echo port, a closed port)."""
    tcp = socket.socket()
    tcp.bind(("127.0.0.1", 0))
    tcp.listen(16)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    udp.settimeout(3)

    def echo() -> None:
        try:
            data, peer = udp.recvfrom(512)
            udp.sendto(data, peer)
        except OSError:
            pass

    thread = threading.Thread(target=echo, daemon=True)
    thread.start()
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()
    yield tcp.getsockname()[1], udp.getsockname()[1], closed_port
    tcp.close()
    udp.close()


def test_open_refused_and_udp_echo(servers: tuple[int, int, int]) -> None:
    tcp_port, udp_port, closed_port = servers
    results = probe_many([ProbeSpec("127.0.0.1", tcp_port), ProbeSpec("127.0.0.1", closed_port),
                          ProbeSpec("127.0.0.1", udp_port, "UDP")], timeout_s=1.0)
    assert [r.outcome for r in results] == ["open", "refused", "open"]
    assert [r.allowed for r in results] == [True, False, True]


def test_silent_udp_port_is_denied_after_the_timeout(servers: tuple[int, int, int]) -> None:
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    try:
        [result] = probe_many([ProbeSpec("127.0.0.1", silent.getsockname()[1], "UDP")], timeout_s=0.3)
    finally:
        silent.close()
    assert result.outcome == "timeout" and not result.allowed
    assert result.seconds >= 0.3


def test_a_lost_udp_datagram_is_resent_not_read_as_a_drop() -> None:
    """The server ignores the first datagram, as a busy machine may lose one: still open."""
    lossy = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    lossy.bind(("127.0.0.1", 0))
    lossy.settimeout(3)
    seen: list[bytes] = []

    def echo_the_second() -> None:
        try:
            seen.append(lossy.recvfrom(512)[0])
            data, peer = lossy.recvfrom(512)
            seen.append(data)
            lossy.sendto(data, peer)
        except OSError:
            pass

    thread = threading.Thread(target=echo_the_second, daemon=True)
    thread.start()
    try:
        [result] = probe_many([ProbeSpec("127.0.0.1", lossy.getsockname()[1], "UDP")], timeout_s=1.5)
    finally:
        thread.join(5)
        lossy.close()
    assert result.outcome == "open" and len(seen) == 2
    assert 0.4 < result.seconds < 1.5


def test_probe_count_is_bounded() -> None:
    with pytest.raises(ValueError, match="bound"):
        probe_many([ProbeSpec("127.0.0.1", 1)] * 5000)


def _serve(idle_s: float) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "harness.workloads.connect", "--serve", str(idle_s)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def test_an_agent_answers_request_after_request_and_exits_when_its_input_closes(
        servers: tuple[int, int, int]) -> None:
    tcp_port, _, closed_port = servers
    agent = _serve(30)
    assert agent.stdin is not None and agent.stdout is not None
    try:
        for port, outcome in ((tcp_port, "open"), (closed_port, "refused")):
            request = {"timeout_s": 1.0, "probes": [{"address": "127.0.0.1", "port": port}]}
            agent.stdin.write(json.dumps(request) + "\n")
            agent.stdin.flush()
            [row] = json.loads(agent.stdout.readline())
            assert (row["port"], row["outcome"]) == (port, outcome)
        agent.stdin.close()
        assert agent.wait(timeout=5) == 0
    finally:
        agent.kill()
        agent.wait()


def test_an_idle_agent_stops_by_itself() -> None:
    agent = _serve(0.3)
    began = time.monotonic()
    try:
        assert agent.wait(timeout=10) == 0
    finally:
        agent.kill()
        agent.wait()
    assert time.monotonic() - began < 5
