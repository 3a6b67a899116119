"""HTTP load with locust, run as its own processes: command lines, and the parser of its stats.

locust monkey-patches sockets and threads of the process that imports it, so the harness only
builds its command lines (the locustfile ships in this package) and reads `--json` from the
stdout of the process that ran the test (the only one, or the master of a distributed run).
`locust_run` starts and stops the processes. Users, rate, workers and duration are bounded.

What locust gives and at which resolution:

- throughput: requests over locust's own span, first request to last (`start_time`,
  `last_request_timestamp`), not over the run time asked for (which holds the spawn and stop);
- per-second samples: locust's `num_reqs_per_sec`, requests counted per wall-clock second by
  the process that made them (a master adds its workers' up); the first and last seconds are
  partial and left out of the spread;
- latency percentiles from locust's histogram, whose buckets are whole milliseconds under
  100 ms, 10 ms under 1 s, 100 ms under 10 s (`locust.stats.bucket_response_time`): a p50 of
  0 ms means under 0.5 ms. The mean, min and max are exact (locust keeps the float sum).
"""

from __future__ import annotations

import json
import statistics
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import HarnessError

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
MAX_USERS = 200
MAX_SECONDS = 300.0
MAX_WORKERS = 8
MAX_OFFERED_RPS = 50_000.0
BACKEND_PREFIX = "backend:"
STOP_TIMEOUT_S = 2
WORKER_WAIT_S = 15
"""How long a master waits for its workers before it gives up (`--expect-workers-max-wait`)."""
BUSY = 0.90
"""A load process that ran, or waited for a CPU to run, this fraction of the load's wall time was
the limit (locust warns at 90 % CPU)."""
SHORTFALL = 0.05
"""Achieved more than this fraction below the offered rate: something held the load back."""
CPU_WARNINGS = ("CPU usage above", "CPU usage threshold was exceeded", "exceeded cpu threshold")
"""locust's own log lines when a process (master or worker) measured itself above 90 % CPU."""


class HttpLoadError(HarnessError):
    """locust failed or its stats cannot be read."""


@dataclass(frozen=True)
class LoadSpec:
    """One locust run: `users` in all, each paced at `user_rps` (0: closed loop), for `seconds`,
    from one process (`workers=0`) or a master with `workers` worker processes."""

    users: int
    seconds: float
    user_rps: float = 0.0
    workers: int = 0

    def __post_init__(self) -> None:
        problems = []
        if not 1 <= self.users <= MAX_USERS:
            problems.append(f"users {self.users} (1-{MAX_USERS})")
        if not 0 < self.seconds <= MAX_SECONDS or self.seconds != int(self.seconds):
            problems.append(f"seconds {self.seconds:g} (whole, up to {MAX_SECONDS:g}: locust's --run-time)")
        if not 0 <= self.workers <= MAX_WORKERS:
            problems.append(f"workers {self.workers} (0-{MAX_WORKERS})")
        if self.user_rps < 0 or self.users * self.user_rps > MAX_OFFERED_RPS:
            problems.append(f"offered {self.users * self.user_rps:g} req/s (up to {MAX_OFFERED_RPS:g})")
        if problems:
            raise HttpLoadError(f"load out of bounds: {', '.join(problems)}")

    @property
    def offered_rps(self) -> float | None:
        """users x per-user rate; None for a closed loop, which offers what it gets."""
        return self.users * self.user_rps if self.user_rps > 0 else None

    @property
    def mode(self) -> str:
        return f"distributed-{self.workers}" if self.workers else "single"


@dataclass(frozen=True)
class GeneratorUse:
    """What a load process spent over the load's span (locust's first to last request)."""

    name: str
    cpu_s: float
    """CPU time, all its threads."""
    wall_s: float
    waited_s: float = 0.0
    """Time its main thread was runnable but waited for a CPU (the kernel's schedstat run delay):
    on a machine short of cores a generator can be held back without being busy itself."""

    @property
    def busy(self) -> float:
        return self.cpu_s / self.wall_s if self.wall_s > 0 else 0.0

    @property
    def demand(self) -> float:
        """Running or waiting to run, over the wall time: 1.0 is a process that never idled."""
        return (self.cpu_s + self.waited_s) / self.wall_s if self.wall_s > 0 else 0.0


@dataclass(frozen=True)
class HttpLoadResult:
    requests: int
    failures: int
    seconds: float
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    per_backend: dict[str, int] = field(default_factory=dict)
    """Backend name -> requests it answered."""
    mean_ms: float = 0.0
    """Exact (locust's float sum over the requests), unlike the percentiles' buckets."""
    max_ms: float = 0.0
    per_second: tuple[int, ...] = ()
    """Requests in each whole second of the run, locust's own count, partial ends left out."""
    started_at: float | None = None
    """locust's first request (epoch seconds), or None when it gave no timestamps."""
    offered_rps: float | None = None
    mode: str = "single"
    generators: tuple[GeneratorUse, ...] = ()
    """The processes that made requests (the single one, or the workers), measured by the runner."""
    cpu_warning: bool = False
    """locust logged its own CPU warning (it samples every 10 s, so short runs seldom show it)."""

    def share(self, backend: str) -> float:
        answered = sum(self.per_backend.values())
        return self.per_backend.get(backend, 0) / answered if answered else 0.0

    @property
    def per_second_cv(self) -> float | None:
        """Coefficient of variation of the per-second counts (needs two whole seconds)."""
        if len(self.per_second) < 2:
            return None
        mean = statistics.fmean(self.per_second)
        return statistics.stdev(self.per_second) / mean if mean else None

    @property
    def generator_busy(self) -> float:
        """The busiest load process's CPU time over its wall time during the load (0 unknown)."""
        return max((g.busy for g in self.generators), default=0.0)

    @property
    def generator_demand(self) -> float:
        """The most any load process ran or waited for a CPU, over its wall time (0 unknown)."""
        return max((g.demand for g in self.generators), default=0.0)

    @property
    def generator_limited(self) -> bool:
        """The generator, not the target, set the rate: a load process running or waiting for a
        CPU >= 90 % of the time (or locust's own CPU warning) while the run fell short of its
        offered rate (a closed loop always falls short of "as fast as possible")."""
        busy = self.cpu_warning or self.generator_demand >= BUSY
        return busy and (self.offered_rps is None or self.rps < self.offered_rps * (1 - SHORTFALL))

    @property
    def limit(self) -> str:
        """What set the rate: `generator`, `target` (short of the offered rate, or a closed loop,
        with no load process saturated), or `none` (the offered rate was met)."""
        if self.generator_limited:
            return "generator"
        if self.offered_rps is not None and self.rps >= self.offered_rps * (1 - SHORTFALL):
            return "none"
        return "target"

    def verdict(self) -> str:
        """One sentence: offered against achieved, and what held the rate."""
        offered = "a closed loop" if self.offered_rps is None else f"{self.offered_rps:.0f} offered"
        how = (f"{self.mode}, busiest load process at {self.generator_busy:.0%} CPU, "
               f"{self.generator_demand:.0%} with its wait for a CPU")
        said = {"generator": "the generator was the limit, not the target",
                "target": "the target held the rate, not the generator",
                "none": "the offered rate was met"}[self.limit]
        if self.limit == "generator" and not self.cpu_warning and self.generator_busy < BUSY:
            said += " (it was short of CPU, not busy: the machine's cores were taken)"
        return f"{self.rps:.0f} req/s achieved of {offered}: {said} ({how})"


def _options(spec: LoadSpec, url: str) -> list[str]:
    """What the process running the test is told (workers get users and rate from it)."""
    # All users within 0.1 s: a slow ramp would hold the achieved rate under the offered one.
    return ["--headless", "--host", url, "--users", str(spec.users), "--spawn-rate", str(spec.users * 10),
            "--run-time", f"{spec.seconds:g}s", "--stop-timeout", str(STOP_TIMEOUT_S),
            "--user-rps", f"{spec.user_rps:g}", "--json", "--only-summary",
            "--exit-code-on-error", "0", "--loglevel", "WARNING"]


def locust_argv(*, url: str, spec: LoadSpec) -> list[str]:
    """One process running the whole test (`spec.workers` is ignored)."""
    return [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), *_options(spec, url)]


def master_argv(*, url: str, spec: LoadSpec, bind: str, port: int) -> list[str]:
    """The master of a distributed run: waits up to `WORKER_WAIT_S` for `spec.workers` workers,
    hands them the users, adds up their stats and prints them."""
    if spec.workers < 1:
        raise HttpLoadError("a distributed run needs at least one worker")
    return [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--master",
            "--master-bind-host", bind, "--master-bind-port", str(port),
            "--expect-workers", str(spec.workers), "--expect-workers-max-wait", str(WORKER_WAIT_S),
            *_options(spec, url)]


def worker_argv(*, master: str, port: int) -> list[str]:
    """A worker: everything else it learns from its master (it quits when the master does)."""
    return [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--worker", "--master-host",
            master, "--master-port", str(port), "--loglevel", "WARNING"]


def resolution_ms(value_ms: float) -> float:
    """The width of locust's histogram bucket holding `value_ms`."""
    return 1.0 if value_ms < 100 else 10.0 if value_ms < 1000 else 100.0 if value_ms < 10_000 else 1000.0


def percentile(histogram: Counter[float], fraction: float) -> float:
    """The smallest bucket (ms) under which `fraction` of the requests fall."""
    total = sum(histogram.values())
    if total == 0:
        return 0.0
    seen = 0
    for bucket in sorted(histogram):
        seen += histogram[bucket]
        if seen >= fraction * total:
            return bucket
    return max(histogram)


def request_window(entries: list[dict[str, Any]]) -> tuple[float, float] | None:
    """First request and last, from locust's own timestamps (epoch seconds)."""
    starts = [float(e["start_time"]) for e in entries if e.get("start_time") and e.get("num_requests")]
    lasts = [float(e["last_request_timestamp"]) for e in entries
             if e.get("last_request_timestamp") and e.get("num_requests")]
    if not starts or not lasts or max(lasts) <= min(starts):
        return None
    return min(starts), max(lasts)


def request_span_s(entries: list[dict[str, Any]]) -> float | None:
    """First request to last, from locust's own timestamps: what its `total_rps` divides by.
    The run time asked for also holds the spawn and the stop, so it would read the rate low."""
    window = request_window(entries)
    return window[1] - window[0] if window else None


def per_second(entries: list[dict[str, Any]]) -> tuple[int, ...]:
    """Requests per whole second, all names added up; the first and last seconds (partial: the
    spawn and the stop) are left out, a second between them without a request counts 0."""
    counts: Counter[int] = Counter()
    for entry in entries:
        counts.update({int(t): int(n) for t, n in (entry.get("num_reqs_per_sec") or {}).items()})
    if len(counts) < 3:
        return ()
    seconds = sorted(counts)
    return tuple(counts.get(t, 0) for t in range(seconds[0] + 1, seconds[-1]))


def parse(text: str, *, seconds: float, spec: LoadSpec | None = None) -> HttpLoadResult:
    """Read locust's `--json` list of per-name stats; `seconds`, the run time asked for, counts
    only when locust gives no timestamps of its own."""
    try:
        entries: list[dict[str, Any]] = json.loads(text)
    except json.JSONDecodeError as error:
        raise HttpLoadError(f"locust printed no JSON stats: {text.strip()[:200]!r}") from error
    histogram: Counter[float] = Counter()
    per_backend: dict[str, int] = {}
    requests = failures = 0
    total_ms = max_ms = 0.0
    for entry in entries:
        requests += int(entry["num_requests"])
        failures += int(entry["num_failures"])
        total_ms += float(entry.get("total_response_time") or 0.0)
        max_ms = max(max_ms, float(entry.get("max_response_time") or 0.0))
        histogram.update({float(ms): int(n) for ms, n in entry["response_times"].items()})
        name = str(entry["name"])
        if name.startswith(BACKEND_PREFIX):
            answered = int(entry["num_requests"]) - int(entry["num_failures"])
            per_backend[name[len(BACKEND_PREFIX):]] = answered
    window = request_window(entries)
    span = window[1] - window[0] if window else seconds
    timed = sum(histogram.values())
    return HttpLoadResult(requests=requests, failures=failures, seconds=span,
                          rps=requests / span if span > 0 else 0.0,
                          p50_ms=percentile(histogram, 0.50), p95_ms=percentile(histogram, 0.95),
                          p99_ms=percentile(histogram, 0.99), per_backend=per_backend,
                          mean_ms=total_ms / timed if timed else 0.0, max_ms=max_ms,
                          per_second=per_second(entries), started_at=window[0] if window else None,
                          offered_rps=spec.offered_rps if spec else None,
                          mode=spec.mode if spec else "single")


def cpu_warned(log: str) -> bool:
    """locust's log says a process of the run measured itself above its CPU threshold."""
    return any(marker in log for marker in CPU_WARNINGS)


def busy_over(samples: list[tuple[float, float, float]], start: float,
              end: float) -> GeneratorUse:
    """What a process spent between `start` and `end` (epoch seconds), from its (time, cumulative
    CPU seconds, cumulative run-queue wait seconds) samples: the first and last inside the
    window, or the whole run's when fewer than two fall in it. Named by the caller."""
    inside = [s for s in samples if start <= s[0] <= end]
    chosen = inside if len(inside) >= 2 else samples
    if len(chosen) < 2:
        return GeneratorUse(name="", cpu_s=0.0, wall_s=0.0)
    (t0, c0, w0), (t1, c1, w1) = chosen[0], chosen[-1]
    return GeneratorUse(name="", cpu_s=max(0.0, c1 - c0), wall_s=max(0.0, t1 - t0),
                        waited_s=max(0.0, w1 - w0))
