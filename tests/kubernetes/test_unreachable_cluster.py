"""A user's first run with a wrong kubeconfig: missing, or pointing at an address that never
answers. Either way the run stops within 10 s with one sentence, a non-zero exit and no
traceback — never a silent skip. The harness runs as a user runs it, with default timeouts."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import pytest

from tests.kubernetes.fakeapi import write_kubeconfig
from tests.kubernetes.fakecluster import FakeCluster
from tests.kubernetes.test_suites_on_fakes import run_harness

LIMIT_S = 10.0


@contextmanager
def black_hole() -> Iterator[str]:
    """A loopback port whose SYNs go unanswered, like a powered-off API server behind a switch.

    A listener that never accepts, with its one-slot queue filled: Linux then drops every new
    SYN, so a client's connect hangs until its own timeout. No packet leaves this machine.
    """
    with ExitStack() as stack:
        server = stack.enter_context(socket.socket())
        server.bind(("127.0.0.1", 0))
        server.listen(0)
        host, port = server.getsockname()
        for _ in range(2):  # the queue holds backlog + 1; the second filler is already refused
            filler = stack.enter_context(socket.socket())
            filler.settimeout(0.3)
            try:
                filler.connect((host, port))
            except TimeoutError:
                break
        probe = stack.enter_context(socket.socket())
        probe.settimeout(0.3)
        with pytest.raises(TimeoutError):  # make sure it is a black hole before relying on it
            probe.connect((host, port))
        yield f"http://{host}:{port}"


def assert_one_sentence(done_stdout: str, done_stderr: str, returncode: int, expected: str) -> None:
    output = done_stdout + done_stderr
    assert returncode not in (0, 5), output[-2000:]  # 5 would be "no tests ran": a silent skip
    assert expected in output, output[-2000:]
    assert "Traceback" not in output, output[-3000:]


def test_black_holed_api_fails_within_ten_seconds(cluster: FakeCluster) -> None:
    with black_hole() as server:
        write_kubeconfig(cluster.kubeconfig, server)
        started = time.monotonic()
        done = run_harness(cluster, "suites/controlplane", "-q", timeout_s=60)
        took = time.monotonic() - started
    assert_one_sentence(done.stdout, done.stderr, done.returncode,
                        f"the Kubernetes API at {server} is unreachable")
    assert "timed out" in done.stderr and " at 0x" not in done.stderr  # words, not object reprs
    assert took < LIMIT_S, f"took {took:.1f} s"
    assert cluster.talos_calls() == []  # nothing else was tried behind the user's back


def test_missing_kubeconfig_fails_within_ten_seconds(cluster: FakeCluster) -> None:
    missing = cluster.root / "nowhere" / "kubeconfig"
    started = time.monotonic()
    done = run_harness(cluster, "suites/controlplane", "-q", "--kubeconfig", str(missing), timeout_s=60)
    took = time.monotonic() - started
    assert_one_sentence(done.stdout, done.stderr, done.returncode, f"no kubeconfig at {missing}")
    assert took < LIMIT_S, f"took {took:.1f} s"
    assert cluster.api.calls == []
