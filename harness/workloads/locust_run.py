"""Running locust: one process, or a master with workers, every process stopped by PID.

Where the processes run is the caller's choice (`Placement`): the address the master binds and
its workers dial, and the argv prefix that puts a worker where the load should come from (`ip
netns exec <host>` on the lab, nothing on the workstation). Each process is bounded: locust's
own `--run-time` and `--stop-timeout`, a master that waits at most `WORKER_WAIT_S` for its
workers, and a kill deadline here; whatever is left when the run ends, fails or is interrupted
(Ctrl-C) gets SIGTERM, then SIGKILL, and is reaped.

While the load runs, the CPU time of each process that makes requests, and how long it waited
for a CPU, are sampled from /proc, so the result says how busy the generator was over locust's
own request window.
"""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from harness.workloads.http_load import (
    STOP_TIMEOUT_S,
    WORKER_WAIT_S,
    HttpLoadError,
    HttpLoadResult,
    LoadSpec,
    busy_over,
    cpu_warned,
    locust_argv,
    master_argv,
    parse,
    worker_argv,
)

KILL_MARGIN_S = 30.0
"""Past its run time, stop timeout and worker wait, a run is killed after this much more."""
TERM_GRACE_S = 3.0
SAMPLE_EVERY_S = 0.2
_TICK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Placement:
    """Where a distributed run's processes go: the master on this machine at `master_host`,
    each worker under `worker_prefix` (which must exec the command in place, keeping its PID)."""

    master_host: str = "127.0.0.1"
    worker_prefix: tuple[str, ...] = ()
    where: str = "workstation"


def cpu_seconds(pid: int) -> tuple[float, float] | None:
    """(user + system CPU seconds of the whole process, seconds its main thread waited on a run
    queue) so far; None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        waited_ns = int(Path(f"/proc/{pid}/schedstat").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return (int(fields[11]) + int(fields[12])) / _TICK, waited_ns / 1e9


class _CpuSampler:
    """Samples (epoch time, CPU seconds, run-queue wait seconds) of each named PID on a daemon
    thread until stopped."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.samples: dict[str, list[tuple[float, float, float]]] = {name: [] for name in pids}
        self._pids = pids
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="locust-cpu", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._done.is_set():
            for name, pid in self._pids.items():
                used = cpu_seconds(pid)
                if used is not None:
                    self.samples[name].append((time.time(), *used))
            self._done.wait(SAMPLE_EVERY_S)

    def stop(self) -> None:
        self._done.set()
        self._thread.join(timeout=2.0)


def free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _start(argv: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.with_suffix(".out").open("wb") as out, log.with_suffix(".err").open("wb") as err:
        # Its own session: a Ctrl-C at the terminal reaches pytest only, which stops these by PID.
        return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                start_new_session=True)


def stop(processes: Iterable[subprocess.Popen[bytes]]) -> None:
    """SIGTERM whatever still runs, SIGKILL what is left after `TERM_GRACE_S`; all reaped."""
    running = [p for p in processes if p.poll() is None]
    for process in running:
        process.terminate()
    deadline = time.monotonic() + TERM_GRACE_S
    for process in running:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5.0)


def _tail(logs: Path, names: Iterable[str]) -> str:
    parts = []
    for name in names:
        text = (logs / f"{name}.err").read_text(errors="replace").strip()
        if text:
            parts.append(f"{name}: {text[-300:]}")
    return "; ".join(parts) or "no output"


def run(*, url: str, spec: LoadSpec, placement: Placement = Placement()) -> HttpLoadResult:
    """Run `spec` against `url` (one process, or a master here and workers per `placement`)."""
    deadline_s = spec.seconds + STOP_TIMEOUT_S + KILL_MARGIN_S + (WORKER_WAIT_S if spec.workers else 0)
    processes: dict[str, subprocess.Popen[bytes]] = {}
    sampler: _CpuSampler | None = None
    with tempfile.TemporaryDirectory(prefix="harness-locust-") as tmp:
        logs = Path(tmp)
        try:
            if spec.workers:
                port = free_port(placement.master_host)
                processes["master"] = _start(
                    master_argv(url=url, spec=spec, bind=placement.master_host, port=port), logs / "master")
                for index in range(1, spec.workers + 1):
                    argv = [*placement.worker_prefix, *worker_argv(master=placement.master_host, port=port)]
                    processes[f"worker-{index}"] = _start(argv, logs / f"worker-{index}")
                main = "master"
            else:
                processes["locust"] = _start(locust_argv(url=url, spec=spec), logs / "locust")
                main = "locust"
            sampler = _CpuSampler({n: p.pid for n, p in processes.items() if n != "master"})
            try:
                processes[main].wait(timeout=deadline_s)
            except subprocess.TimeoutExpired as error:
                raise HttpLoadError(f"locust ({spec.mode}) overstayed its {spec.seconds:g} s run by "
                                    f"{deadline_s - spec.seconds:g} s: {_tail(logs, processes)}") from error
            sampler.stop()
            if processes[main].returncode != 0:
                raise HttpLoadError(f"locust ({spec.mode}) exited {processes[main].returncode}: "
                                    f"{_tail(logs, processes)}")
            stdout = (logs / f"{main}.out").read_text()
            log = "\n".join((logs / f"{name}.err").read_text(errors="replace") for name in processes)
        finally:
            if sampler is not None:
                sampler.stop()
            stop(processes.values())
        result = parse(stdout, seconds=spec.seconds, spec=spec)
    start = result.started_at or 0.0
    uses = []
    for name, samples in (sampler.samples if sampler else {}).items():
        use = busy_over(samples, start, start + result.seconds)
        uses.append(replace(use, name=f"{placement.where}:{name}" if spec.workers else name))
    return replace(result, generators=tuple(uses), cpu_warning=cpu_warned(log))
