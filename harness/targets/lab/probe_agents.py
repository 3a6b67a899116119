"""Connect-probe agents: one long-lived probing process per namespace, reused by every probe
from it (`python -m harness.workloads.connect --serve`).

A policy matrix asks each of its ~13 sources two or three times per case; a fresh Python for
every ask cost about 0.1 s of CPU and 0.3 s of wall time per observation on the lab's two
cores. An agent answers one JSON request per line. It stops by itself when its stdin closes
(we closed it, or this process died) or after `IDLE_S` without a request, and is closed here
before its namespace goes away (a live process would keep a deleted namespace alive).
"""

from __future__ import annotations

import contextlib
import json
import select
import subprocess
import sys
import threading
from collections.abc import Iterable
from typing import Any

from harness.targets.base import TargetError

IDLE_S = 60.0
CLOSE_S = 2.0


class _Agent:
    def __init__(self, netns: str) -> None:
        self.netns = netns
        self.lock = threading.Lock()  # one request at a time: answers come back in order
        self.process = subprocess.Popen(
            ["ip", "netns", "exec", netns, sys.executable, "-m", "harness.workloads.connect",
             "--serve", str(IDLE_S)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def ask(self, request: dict[str, Any], within_s: float) -> list[dict[str, Any]]:
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None and stdout is not None
        with self.lock:
            try:
                stdin.write(json.dumps(request) + "\n")
                stdin.flush()
            except OSError as error:
                raise TargetError(f"probe agent in {self.netns} is gone: {self._why(error)}") from None
            if not select.select([stdout], [], [], within_s)[0]:
                self.close()
                raise TargetError(f"probe agent in {self.netns} gave no answer within {within_s:g} s")
            line = stdout.readline()
        if not line:
            raise TargetError(f"probe agent in {self.netns} exited: {self._why(None)}")
        answer: list[dict[str, Any]] = json.loads(line)
        return answer

    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        """Close its stdin (it exits on EOF), wait, and kill it by PID if it lingers."""
        if self.process.stdin is not None and not self.process.stdin.closed:
            with contextlib.suppress(OSError):  # it died with unread input
                self.process.stdin.close()
        try:
            self.process.wait(timeout=CLOSE_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=CLOSE_S)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()

    def _why(self, error: OSError | None) -> str:
        if self.alive():
            return str(error) if error else "no answer"
        self.process.wait()
        stderr = self.process.stderr.read().strip()[-300:] if self.process.stderr else ""
        return f"exit {self.process.returncode}" + (f": {stderr}" if stderr else "")


class ProbeAgents:
    """The agents of one target, by namespace; thread-safe (sources are probed in parallel)."""

    def __init__(self) -> None:
        self._agents: dict[str, _Agent] = {}
        self._lock = threading.Lock()

    def ask(self, netns: str, request: dict[str, Any], within_s: float) -> list[dict[str, Any]]:
        with self._lock:
            agent = self._agents.get(netns)
            if agent is None or not agent.alive():  # idle too long, or never started
                agent = self._agents[netns] = _Agent(netns)
        return agent.ask(request, within_s)

    def close(self, namespaces: Iterable[str] | None = None) -> None:
        """Stop the agents in these namespaces (all when None); each is reaped."""
        with self._lock:
            names = list(self._agents) if namespaces is None else [n for n in namespaces if n in self._agents]
            closing = [self._agents.pop(n) for n in names]
        for agent in closing:
            agent.close()
