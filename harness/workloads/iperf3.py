"""iperf3: command lines for server and client, and the parser of its JSON report.

Goodput is what the receiver got (`sum_received`): the figure a link delivers to an
application. Retransmits come from the sender's side (`sum_sent`). With `--reverse` the
server sends, so "forward" and "reverse" always name the direction data travelled.

TCP runs with 1 or several parallel streams (`--parallel`, summed by iperf3 itself); UDP runs at a
stated offered rate (`--bitrate`) and reports the receiver's loss and jitter. A UDP test asks for
a 4 MiB socket buffer (`--window`): the kernel's default (208 KiB) overflows whenever the
receiving process waits for a core, which counts a busy host as a lossy network.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from harness.errors import HarnessError

DEFAULT_PORT = 5201
MAX_STREAMS = 16
UDP_WINDOW = "4M"


class Iperf3Error(HarnessError):
    """iperf3 failed or its report cannot be read."""


@dataclass(frozen=True)
class Iperf3Result:
    sender: str
    receiver: str
    seconds: float
    goodput_mbit: float
    """Payload rate the receiver got, Mbit/s."""
    sent_mbit: float
    retransmits: int
    protocol: str = "TCP"
    streams: int = 1
    lost_percent: float | None = None
    """UDP only: datagrams the receiver never got, as a share of those sent."""
    jitter_ms: float | None = None
    """UDP only: the receiver's smoothed inter-arrival jitter (RFC 3550)."""


def server_argv(*, bind: str, port: int = DEFAULT_PORT) -> list[str]:
    """A server that answers exactly one test and exits (`-1`): nothing to stop afterwards."""
    return ["iperf3", "--server", "--one-off", "--bind", bind, "--port", str(port)]


def client_argv(*, server: str, port: int = DEFAULT_PORT, seconds: float = 3.0,
                reverse: bool = False, bind: str | None = None, streams: int = 1,
                udp_mbit: float | None = None) -> list[str]:
    """TCP by default; with `udp_mbit`, UDP offered at that rate (per stream)."""
    if not 1 <= streams <= MAX_STREAMS:
        raise Iperf3Error(f"iperf3 runs 1-{MAX_STREAMS} parallel streams, asked for {streams}")
    if udp_mbit is not None and udp_mbit <= 0:
        raise Iperf3Error(f"a UDP test needs a positive offered rate, not {udp_mbit:g} Mbit/s")
    argv = ["iperf3", "--client", server, "--port", str(port), "--time", f"{seconds:g}",
            "--json", "--connect-timeout", "2000"]
    if bind:
        argv += ["--bind", bind]
    if streams > 1:
        argv += ["--parallel", str(streams)]
    if udp_mbit is not None:
        argv += ["--udp", "--bitrate", f"{udp_mbit:g}M", "--window", UDP_WINDOW]
    return argv + (["--reverse"] if reverse else [])


def parse(text: str, *, client: str, server: str) -> Iperf3Result:
    """Read `iperf3 --json` output of the client; raises Iperf3Error on an error report."""
    try:
        report = json.loads(text)
    except json.JSONDecodeError as error:
        raise Iperf3Error(f"iperf3 printed no JSON report: {text.strip()[:200]!r}") from error
    if "error" in report:
        raise Iperf3Error(f"iperf3 {client} -> {server}: {report['error']}")
    try:
        end = report["end"]
        sent, received = end["sum_sent"], end["sum_received"]
        test = report["start"]["test_start"]
        reverse, protocol, streams = bool(test["reverse"]), str(test["protocol"]), int(test["num_streams"])
    except (KeyError, TypeError) as error:
        raise Iperf3Error(f"iperf3 report lacks {error}: not a finished test") from error
    sender, receiver = (server, client) if reverse else (client, server)
    udp = protocol == "UDP"
    return Iperf3Result(sender=sender, receiver=receiver, seconds=float(received["seconds"]),
                        goodput_mbit=float(received["bits_per_second"]) / 1e6,
                        sent_mbit=float(sent["bits_per_second"]) / 1e6,
                        retransmits=int(sent.get("retransmits", 0)), protocol=protocol, streams=streams,
                        lost_percent=float(received["lost_percent"]) if udp else None,
                        jitter_ms=float(received["jitter_ms"]) if udp else None)
