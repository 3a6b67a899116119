"""A measurement between two lab namespaces: a tool's server started in one, its client run in
the other once the server listens, the server stopped by PID on every path (iperf3, sockperf)."""

from __future__ import annotations

import subprocess
import time

from harness.targets.base import TargetError
from harness.targets.lab import net, procs

LISTEN_TIMEOUT_S = 5.0
OVERSTAY_S = 15.0


def run_against_server(*, tool: str, server: tuple[str, str], server_argv: list[str], port: int,
                       client: tuple[str, str], client_argv: list[str],
                       seconds: float) -> subprocess.CompletedProcess[str]:
    """`server` and `client` are (namespace, label); the client may run `seconds` plus
    `OVERSTAY_S` before it counts as hung."""
    (server_netns, server_label), (client_netns, client_label) = server, client
    server_proc = subprocess.Popen(["ip", "netns", "exec", server_netns, *server_argv],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + LISTEN_TIMEOUT_S
        while not net.listening(server_netns, port):
            if time.monotonic() > deadline or server_proc.poll() is not None:
                raise TargetError(f"{tool} server on {server_label} did not listen on {port}")
            time.sleep(0.02)
        try:
            return subprocess.run(["ip", "netns", "exec", client_netns, *client_argv], capture_output=True,
                                  text=True, timeout=seconds + OVERSTAY_S, check=False)
        except subprocess.TimeoutExpired as error:
            overstayed = f"{tool} {client_label} -> {server_label} overstayed {seconds:g} s"
            raise TargetError(overstayed) from error
    finally:
        if server_proc.poll() is None:
            procs.stop([server_proc.pid], timeout_s=1.0)
        server_proc.wait(timeout=5)
