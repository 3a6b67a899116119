"""A fake `talosctl`: replays realistic outputs from a JSON state file and records every call.

Run as `python fake_talosctl.py <talosctl args>` through a wrapper on PATH. The state file
($FAKE_TALOS_STATE) holds nodes (IP -> name), control-plane IPs, the etcd leader, the VIP and its
holder, stopped services and powered-off nodes; actions change it like the real cluster would
(stopping etcd on the leader elects another; the VIP follows a healthy member). The fake BMC
writes the same file, so a power cut is seen by talosctl too.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def member_id(ip: str) -> str:
    return "".join(f"{int(part):02x}" for part in ip.split(".")) + "a1b2c3d4"


def read_state(path: Path) -> dict[str, Any]:
    """A consistent snapshot without the lock: writers replace the file, never rewrite it."""
    return dict(json.loads(path.read_text()))


def write_state(path: Path, state: dict[str, Any]) -> None:
    # Atomic replace: the fake API reads this file on every request, unlocked; a truncate-then-
    # write let it read half a file now and then, and drop a VIP request (a fake outage).
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(state))
    os.replace(temporary, path)


@contextmanager
def locked_state(path: Path | None = None) -> Iterator[dict[str, Any]]:
    """Read-modify-write under one lock, shared by the fake talosctl, the fake BMC and tests."""
    path = path or Path(os.environ["FAKE_TALOS_STATE"])
    with open(path.with_suffix(".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        state = read_state(path)
        yield state
        write_state(path, state)


def healthy(state: dict[str, Any], ip: str) -> bool:
    return ip not in state["down"] and "etcd" not in state["stopped"].get(ip, [])


def reelect(state: dict[str, Any]) -> None:
    alive = [ip for ip in state["controlplane"] if healthy(state, ip)]
    if state["leader"] not in alive:
        state["leader"] = alive[0] if len(alive) >= 2 else ""
        state["term"] = state.get("term", 12) + 1  # an election, as in raft
    if state["vip_holder"] not in alive:
        state["vip_holder"] = state["leader"] or ""


def main(argv: list[str]) -> int:
    nodes = argv[argv.index("--nodes") + 1].split(",")
    args = argv[argv.index("--nodes") + 2 :]
    with locked_state() as state:
        state["calls"].append(" ".join(["talosctl", "--nodes", ",".join(nodes), *args]))
        errors = [ip for ip in nodes if ip in state["down"]]
        for ip in errors:
            print(
                f"error: rpc error: code = Unavailable desc = connection error: dial tcp "
                f"{ip}:50000: connect: no route to host",
                file=sys.stderr,
            )
        up = [ip for ip in nodes if ip not in errors]
        if args[:2] == ["etcd", "status"]:
            print(
                "NODE          MEMBER                   DB SIZE   IN USE            LEADER"
                "                   RAFT INDEX   RAFT TERM   RAFT APPLIED INDEX   LEARNER   ERRORS"
            )
            for ip in up:
                if "etcd" in state["stopped"].get(ip, []):
                    print(f"error getting status from {ip}: etcd is not running", file=sys.stderr)
                    errors.append(ip)
                    continue
                leader = member_id(state["leader"]) if state["leader"] else "0000000000000000"
                print(
                    f"{ip:<13} {member_id(ip):<24} 25 MB     18 MB (72.00%)    {leader:<24} "
                    f"123456       {state.get('term', 12):<11} 123456               false"
                )
        elif args[:3] == ["get", "addresses", "-o"]:
            for ip in up:
                addresses = [f"{ip}/24", "127.0.0.1/8"]
                if state["vip_holder"] == ip:
                    addresses.append(f"{state['vip']}/32")
                for address in addresses:
                    print(
                        json.dumps(
                            {
                                "node": ip,
                                "metadata": {
                                    "namespace": "network",
                                    "type": "AddressStatuses.net.talos.dev",
                                    "id": f"end0/{address}",
                                    "version": 3,
                                    "phase": "running",
                                },
                                "spec": {
                                    "address": address,
                                    "local": address.split("/")[0],
                                    "linkName": "end0",
                                    "family": "inet4",
                                    "scope": "global",
                                    "flags": "permanent",
                                },
                            },
                            indent=4,
                        )
                    )
        elif args[:1] == ["version"]:
            print("Client:\n\tTag:         v1.9.5\n\tSHA:         d07f6daa\n\tOS/Arch:     linux/amd64")
            for ip in up:
                print(f"Server:\n\tNODE:        {ip}\n\tTag:         v1.9.5\n\tOS/Arch:     linux/arm64")
        elif args[:1] == ["service"] and len(args) == 2:
            running = args[1] not in state["stopped"].get(up[0], []) if up else False
            print(
                f"NODE     {nodes[0]}\nID       {args[1]}\nSTATE    {'Running' if running else 'Finished'}"
                f"\nHEALTH   {'OK' if running else '?'}\nEVENTS   [Running]: Health check successful"
            )
        elif args[:1] == ["service"]:
            stopped = state["stopped"].setdefault(nodes[0], [])
            if args[2] == "stop" and args[1] not in stopped:
                stopped.append(args[1])
            elif args[2] == "start" and args[1] in stopped:
                stopped.remove(args[1])
            reelect(state)
            print(f'NODE       RESPONSE\n{nodes[0]}   Service "{args[1]}" {args[2]}ed')
        elif args[:1] in (["reboot"], ["shutdown"], ["health"]):
            if args[0] == "shutdown":
                state["down"].extend(ip for ip in up if ip not in state["down"])
                reelect(state)
        else:
            print(f"fake talosctl: unsupported {' '.join(args)}", file=sys.stderr)
            return 2
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
