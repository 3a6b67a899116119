"""iperf3: command lines for server and client, and the parser of its JSON report.

Goodput is what the receiver got (`sum_received`): the figure a link delivers to an
application. Retransmits come from the sender's side (`sum_sent`). With `--reverse` the
server sends, so "forward" and "reverse" always name the direction data travelled.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from harness.errors import HarnessError

DEFAULT_PORT = 5201


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


def server_argv(*, bind: str, port: int = DEFAULT_PORT) -> list[str]:
    """A server that answers exactly one test and exits (`-1`): nothing to stop afterwards."""
    return ["iperf3", "--server", "--one-off", "--bind", bind, "--port", str(port)]


def client_argv(*, server: str, port: int = DEFAULT_PORT, seconds: float = 3.0,
                reverse: bool = False, bind: str | None = None) -> list[str]:
    argv = ["iperf3", "--client", server, "--port", str(port), "--time", f"{seconds:g}",
            "--json", "--connect-timeout", "2000"]
    if bind:
        argv += ["--bind", bind]
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
        reverse = bool(report["start"]["test_start"]["reverse"])
        protocol = str(report["start"]["test_start"]["protocol"])
    except (KeyError, TypeError) as error:
        raise Iperf3Error(f"iperf3 report lacks {error}: not a finished TCP test") from error
    sender, receiver = (server, client) if reverse else (client, server)
    return Iperf3Result(sender=sender, receiver=receiver, seconds=float(received["seconds"]),
                        goodput_mbit=float(received["bits_per_second"]) / 1e6,
                        sent_mbit=float(sent["bits_per_second"]) / 1e6,
                        retransmits=int(sent.get("retransmits", 0)), protocol=protocol)
