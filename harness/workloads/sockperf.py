"""sockperf ping-pong: request/response latency over TCP, the figure netperf's TCP_RR gives.

The client sends a message, waits for the server's echo, sends the next: one transaction in
flight, so each round trip is one observation. `--full-rtt` reports the whole round trip
(sockperf's default halves it). sockperf drops a warm-up (400 ms) and the last 50 ms, and prints
the observations' percentiles in microseconds; the harness reads p50, p99 and the average.
Debian's `sockperf` package (3.7) is the tool; its server is bounded by the caller's timeout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from harness.errors import HarnessError

DEFAULT_PORT = 11111
MESSAGE_BYTES = 64
"""Small, like netperf's TCP_RR default of 1 byte plus headers: latency, not bandwidth."""
MIN_SECONDS = 1.0
"""Less leaves almost nothing after sockperf's 400 ms warm-up."""

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_PERCENTILE = re.compile(r"---> percentile\s+(?P<p>[\d.]+)\s*=\s*(?P<us>[\d.]+)")
_AVERAGE = re.compile(r"avg-rtt=(?P<us>[\d.]+)")
_VALID = re.compile(r"\[Valid Duration\] RunTime=(?P<s>[\d.]+) sec; SentMessages=(?P<sent>\d+); "
                    r"ReceivedMessages=(?P<received>\d+)")


class SockperfError(HarnessError):
    """sockperf failed or its summary cannot be read."""


@dataclass(frozen=True)
class RoundTrips:
    client: str
    server: str
    p50_us: float
    p99_us: float
    average_us: float
    transactions: int
    seconds: float
    """The valid span the percentiles cover (the run without warm-up and cool-down)."""

    @property
    def per_second(self) -> float:
        """Transactions per second: netperf's TCP_RR headline figure."""
        return self.transactions / self.seconds if self.seconds > 0 else 0.0


def server_argv(*, bind: str, port: int = DEFAULT_PORT) -> list[str]:
    return ["sockperf", "server", "--ip", bind, "--port", str(port), "--tcp"]


def ping_pong_argv(*, server: str, port: int = DEFAULT_PORT, seconds: float = 2.0) -> list[str]:
    if seconds < MIN_SECONDS:
        raise SockperfError(f"a ping-pong run needs {MIN_SECONDS:g} s at least, asked for {seconds:g}")
    return ["sockperf", "ping-pong", "--ip", server, "--port", str(port), "--tcp", "--time",
            f"{seconds:g}", "--full-rtt", "--msg-size", str(MESSAGE_BYTES)]


def parse(text: str, *, client: str, server: str) -> RoundTrips:
    """Read the client's summary; raises SockperfError when it holds no percentiles."""
    plain = _ANSI.sub("", text)
    percentiles = {float(m["p"]): float(m["us"]) for m in _PERCENTILE.finditer(plain)}
    average, valid = _AVERAGE.search(plain), _VALID.search(plain)
    if 50.0 not in percentiles or 99.0 not in percentiles or average is None or valid is None:
        last = plain.strip().splitlines()[-1:] or ["(nothing)"]
        raise SockperfError(f"sockperf {client} -> {server} printed no latency summary: {last[0][:200]!r}")
    if int(valid["received"]) == 0:
        raise SockperfError(f"sockperf {client} -> {server}: no message came back")
    return RoundTrips(client=client, server=server, p50_us=percentiles[50.0], p99_us=percentiles[99.0],
                      average_us=float(average["us"]), transactions=int(valid["received"]),
                      seconds=float(valid["s"]))
