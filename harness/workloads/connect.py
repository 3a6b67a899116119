"""TCP/UDP connect probes: is a connection allowed, denied (dropped), or refused?

Measured on the lab (LAB-NOTES): allowed TCP connects finish in ≤ 10 ms even on a saturated
link and a lost SYN is retried after 1 s, so no SYN-ACK within 1.5 s means the policy dropped
it (one lost SYN tolerated). UDP has no handshake: the probed server echoes a datagram, and no
echo within the timeout means denied. Like a DNS client, the probe resends the datagram every
0.5 s until then, so one lost datagram or echo on a busy machine does not read as a drop (a
single send failed an allowed cell in CI). Probes run in parallel, bounded in count and threads.

Run as a module inside a network namespace (`ip netns exec pod python -m
harness.workloads.connect`) with the probes as JSON on stdin; it prints one JSON list. With
`--serve [IDLE_S]` it stays, as an agent answering one JSON request per line.
"""

from __future__ import annotations

import json
import select
import socket
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any, Literal

DENIED_AFTER_S = 1.5
FIRST_LOOK_S = 0.25
"""A first look's deny timeout: 25 x the slowest allowed connect measured (10 ms). A cell it shows
denied against expectation is probed again with `DENIED_AFTER_S` before any verdict."""
MAX_PROBES = 2000
MAX_PARALLEL = 128
"""Threads per probing process: a policy-matrix source (8 pods and 5 peers x 6 cells) in one batch."""
UDP_PAYLOAD = b"harness-probe"
UDP_RESEND_S = 0.5
SERVE_IDLE_S = 60.0
"""`--serve`: an agent that got no request for this long exits."""

Outcome = Literal["open", "refused", "timeout", "error"]


@dataclass(frozen=True)
class ProbeSpec:
    address: str
    port: int
    protocol: str = "TCP"


@dataclass(frozen=True)
class ProbeResult:
    address: str
    port: int
    protocol: str
    outcome: Outcome
    seconds: float
    detail: str = ""

    @property
    def allowed(self) -> bool:
        """Only an answer counts: a drop and a refusal both mean no connection."""
        return self.outcome == "open"


def _tcp(spec: ProbeSpec, timeout_s: float) -> tuple[Outcome, str]:
    try:
        with socket.create_connection((spec.address, spec.port), timeout=timeout_s):
            return "open", ""
    except TimeoutError:
        return "timeout", ""
    except ConnectionRefusedError:
        return "refused", ""
    except OSError as error:  # unreachable, no route: the network said no
        return "error", str(error)[:120]


def _udp(spec: ProbeSpec, timeout_s: float) -> tuple[Outcome, str]:
    deadline = time.monotonic() + timeout_s
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect((spec.address, spec.port))
            while (left := deadline - time.monotonic()) > 0:
                sock.send(UDP_PAYLOAD)
                sock.settimeout(min(UDP_RESEND_S, timeout_s / 2, left))  # two sends at least
                try:
                    sock.recv(512)
                    return "open", ""
                except TimeoutError:
                    continue
            return "timeout", ""
        except ConnectionRefusedError:  # ICMP port unreachable
            return "refused", ""
        except OSError as error:
            return "error", str(error)[:120]


def probe(spec: ProbeSpec, timeout_s: float = DENIED_AFTER_S) -> ProbeResult:
    began = time.monotonic()
    check = _udp if spec.protocol.upper() == "UDP" else _tcp
    outcome, detail = check(spec, timeout_s)
    return ProbeResult(spec.address, spec.port, spec.protocol.upper(), outcome,
                       time.monotonic() - began, detail)


def probe_many(specs: list[ProbeSpec], *, timeout_s: float = DENIED_AFTER_S,
               parallel: int = MAX_PARALLEL) -> list[ProbeResult]:
    """All probes at once (bounded): the whole batch takes about one timeout, not one per probe
    (with fewer threads than probes, each round of denied ones costs a timeout of its own)."""
    if len(specs) > MAX_PROBES:
        raise ValueError(f"{len(specs)} probes exceed the bound of {MAX_PROBES}")
    workers = max(1, min(parallel, MAX_PARALLEL, len(specs)))
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda s: probe(s, timeout_s), specs))


def answer(request: dict[str, Any]) -> list[dict[str, Any]]:
    specs = [ProbeSpec(str(p["address"]), int(p["port"]), str(p.get("protocol", "TCP")))
             for p in request["probes"]]
    results = probe_many(specs, timeout_s=float(request.get("timeout_s", DENIED_AFTER_S)),
                         parallel=int(request.get("parallel", MAX_PARALLEL)))
    return [asdict(r) for r in results]


def serve(idle_s: float) -> None:
    """One request per line on stdin, one answer per line on stdout, until stdin closes (the
    asker is done, or died) or no request came for `idle_s`: an agent always stops by itself."""
    while select.select([sys.stdin], [], [], idle_s)[0]:
        line = sys.stdin.readline()
        if not line:
            return
        print(json.dumps(answer(json.loads(line))), flush=True)


def main() -> None:
    if sys.argv[1:2] == ["--serve"]:
        serve(idle_s=float(sys.argv[2]) if len(sys.argv) > 2 else SERVE_IDLE_S)
    else:
        json.dump(answer(json.load(sys.stdin)), sys.stdout)


if __name__ == "__main__":
    main()
