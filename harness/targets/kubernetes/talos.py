"""The Talos adapter: `talosctl` as a subprocess, structured output (`-o json`) where it has one.

Every call has a timeout and raises `TalosError` (a `TargetError`) with one sentence; nodes are
addressed by IP (`--nodes`), the endpoints come from the talosconfig. Parsers are pure functions
over talosctl's text, tested against recorded-looking outputs.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.targets.base import TargetError

Runner = Callable[..., "subprocess.CompletedProcess[str]"]


class TalosError(TargetError):
    """talosctl failed, timed out, or printed something we cannot read."""


@dataclass(frozen=True)
class EtcdStatus:
    """One row of `talosctl etcd status`: what one member says about itself and its leader."""

    node: str  # the IP talosctl was pointed at
    member_id: str
    leader_id: str
    errors: str = ""
    raft_term: int | None = None


@dataclass(frozen=True)
class ServiceState:
    node: str
    service: str
    state: str  # Running, Finished, Failed, Waiting, ...
    health: str  # OK, Fail, ?


def talosconfig_path(explicit: Path | None) -> Path:
    if explicit is not None:
        return explicit.expanduser()
    env = os.environ.get("TALOSCONFIG")
    return Path(env).expanduser() if env else Path.home() / ".talos" / "config"


def parse_etcd_status(text: str) -> list[EtcdStatus]:
    """The table of `talosctl etcd status` (columns NODE MEMBER DB SIZE IN USE LEADER ... ERRORS)."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines or not lines[0].startswith("NODE"):
        return []
    header = lines[0]
    # Column positions from the header: values are left-aligned under their titles.
    member_at, leader_at = header.index("MEMBER"), header.index("LEADER")
    errors_at, term_at = header.find("ERRORS"), header.find("RAFT TERM")
    rows = []
    for line in lines[1:]:
        leader = line[leader_at:].split()[0] if len(line) > leader_at else ""
        term = line[term_at:].split()[:1] if term_at >= 0 else []
        errors = line[errors_at:].strip() if errors_at >= 0 and len(line) > errors_at else ""
        rows.append(
            EtcdStatus(
                node=line.split()[0],
                member_id=line[member_at:].split()[0],
                leader_id=leader,
                errors=errors,
                raft_term=int(term[0]) if term and term[0].isdigit() else None,
            )
        )
    return rows


def parse_json_stream(text: str) -> list[dict[str, Any]]:
    """`talosctl get ... -o json` prints one JSON document per resource, back to back."""
    decoder, found, at = json.JSONDecoder(), [], 0
    text = text.strip()
    while at < len(text):
        try:
            document, end = decoder.raw_decode(text, at)
        except ValueError as error:
            raise TalosError(f"talosctl printed JSON we cannot read: {error}") from None
        if isinstance(document, dict):
            found.append(document)
        at = end
        while at < len(text) and text[at].isspace():
            at += 1
    return found


def parse_service(text: str) -> ServiceState:
    """`talosctl service <id>` prints `KEY  value` lines: NODE, ID, STATE, HEALTH, EVENTS."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, _, value = line.strip().partition(" ")
        if key.isupper() and key not in fields:
            fields[key] = value.strip()
    if "STATE" not in fields:
        raise TalosError("talosctl service printed no STATE")
    return ServiceState(
        node=fields.get("NODE", ""),
        service=fields.get("ID", ""),
        state=fields["STATE"],
        health=fields.get("HEALTH", "?"),
    )


def parse_server_tags(text: str) -> dict[str, str]:
    """`talosctl version` prints a Client block and one Server block per node; Tag per block."""
    tags: dict[str, str] = {}
    node = None
    in_server = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped == "Server:":
            in_server, node = True, None
        elif in_server and stripped.startswith("NODE:"):
            node = stripped.split(":", 1)[1].strip()
        elif in_server and stripped.startswith("Tag:"):
            tags[node or "?"] = stripped.split(":", 1)[1].strip()
    return tags


class Talos:
    """talosctl for one cluster: `--talosconfig` fixed, nodes per call."""

    def __init__(
        self,
        *,
        talosconfig: Path,
        talosctl: str = "talosctl",
        timeout_s: float = 30.0,
        runner: Runner = subprocess.run,
    ) -> None:
        self.talosconfig = talosconfig
        self.talosctl = talosctl
        self.timeout_s = timeout_s
        self.runner = runner

    def argv(self, args: Sequence[str], *, nodes: Sequence[str]) -> list[str]:
        return [self.talosctl, "--talosconfig", str(self.talosconfig), "--nodes", ",".join(nodes), *args]

    def run(
        self,
        args: Sequence[str],
        *,
        nodes: Sequence[str],
        timeout_s: float | None = None,
        partial_ok: bool = False,
    ) -> subprocess.CompletedProcess[str]:
        """Run talosctl; `partial_ok` keeps the output when some nodes answered and others failed."""
        argv = self.argv(args, nodes=nodes)
        limit = timeout_s or self.timeout_s
        try:
            done = self.runner(argv, capture_output=True, text=True, timeout=limit, check=False)
        except FileNotFoundError:
            raise TalosError(f"{self.talosctl} is not installed (needed for Talos nodes)") from None
        except subprocess.TimeoutExpired:
            raise TalosError(
                f"talosctl {' '.join(args)} on {','.join(nodes)} took over {limit:g} s"
            ) from None
        if done.returncode != 0 and not (partial_ok and done.stdout.strip()):
            reason = " ".join(done.stderr.split())[:200] or f"exit status {done.returncode}"
            raise TalosError(f"talosctl {' '.join(args)} on {','.join(nodes)} failed: {reason}")
        return done

    # -- reads --------------------------------------------------------------------------------
    def etcd_status(
        self, nodes: Sequence[str], *, timeout_s: float | None = None
    ) -> tuple[list[EtcdStatus], str]:
        """Rows for the nodes that answered, plus talosctl's complaints about the others."""
        done = self.run(["etcd", "status"], nodes=nodes, timeout_s=timeout_s, partial_ok=True)
        return parse_etcd_status(done.stdout), " ".join(done.stderr.split())

    def addresses(
        self, nodes: Sequence[str], *, timeout_s: float | None = None
    ) -> list[tuple[str, str]]:
        """(node IP, address/prefix) of every address the nodes that answered have now."""
        done = self.run(
            ["get", "addresses", "-o", "json"], nodes=nodes, timeout_s=timeout_s, partial_ok=True
        )
        return [
            (str(doc.get("node", "")), str(doc.get("spec", {}).get("address", "")))
            for doc in parse_json_stream(done.stdout)
        ]

    def versions(self, nodes: Sequence[str]) -> dict[str, str]:
        return parse_server_tags(self.run(["version"], nodes=nodes, partial_ok=True).stdout)

    def service(self, node: str, service: str) -> ServiceState:
        return parse_service(self.run(["service", service], nodes=[node]).stdout)

    def health(self, node: str, *, wait_s: float = 60.0) -> None:
        """`talosctl health`: etcd, kubelet, API server, node readiness; raises when unhealthy."""
        self.run(["health", "--wait-timeout", f"{int(wait_s)}s"], nodes=[node], timeout_s=wait_s + 10)

    # -- actions ---------------------------------------------------------------------------
    def service_stop(self, node: str, service: str) -> None:
        self.run(["service", service, "stop"], nodes=[node])

    def service_start(self, node: str, service: str) -> None:
        self.run(["service", service, "start"], nodes=[node])

    def service_restart(self, node: str, service: str) -> None:
        self.run(["service", service, "restart"], nodes=[node])

    def reboot(self, node: str) -> None:
        self.run(["reboot", "--wait=false"], nodes=[node])

    def shutdown(self, node: str) -> None:
        self.run(["shutdown", "--force", "--wait=false"], nodes=[node])
