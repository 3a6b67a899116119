"""Round-trip latency between two lab namespaces: a sockperf server in one, ping-pong from the
other, the server stopped by PID on every path (it would otherwise serve forever)."""

from __future__ import annotations

import subprocess
import time

from harness.targets.base import TargetError
from harness.targets.lab import net, procs
from harness.workloads import sockperf
from harness.workloads.sockperf import RoundTrips

LISTEN_TIMEOUT_S = 5.0
OVERSTAY_S = 15.0


def measure(client_netns: str, server_netns: str, *, client: tuple[str, str], server: tuple[str, str],
            port: int, seconds: float) -> RoundTrips:
    """`client` and `server` are (address, label); the client binds nothing: the route picks
    its node's address, as an application's would."""
    (server_address, server_label), (_, client_label) = server, client
    server_proc = subprocess.Popen(
        ["ip", "netns", "exec", server_netns, *sockperf.server_argv(bind=server_address, port=port)],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + LISTEN_TIMEOUT_S
        while not net.listening(server_netns, port):
            if time.monotonic() > deadline or server_proc.poll() is not None:
                raise TargetError(f"sockperf server on {server_label} did not listen on {port}")
            time.sleep(0.02)
        argv = sockperf.ping_pong_argv(server=server_address, port=port, seconds=seconds)
        try:
            done = subprocess.run(["ip", "netns", "exec", client_netns, *argv], capture_output=True,
                                  text=True, timeout=seconds + OVERSTAY_S, check=False)
        except subprocess.TimeoutExpired as error:
            overstayed = f"sockperf {client_label} -> {server_label} overstayed {seconds:g} s"
            raise TargetError(overstayed) from error
        try:
            return sockperf.parse(done.stdout + done.stderr, client=client_label, server=server_label)
        except sockperf.SockperfError as error:
            raise TargetError(str(error)) from error
    finally:
        if server_proc.poll() is None:
            procs.stop([server_proc.pid], timeout_s=1.0)
        server_proc.wait(timeout=5)
