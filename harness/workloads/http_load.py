"""HTTP load with locust, run as its own process, and the parser of its final JSON stats.

locust monkey-patches sockets and threads of the process that imports it, so the harness only
builds its command line (the locustfile ships in this package) and reads `--json` from stdout.
Users and duration are bounded; the run is killed if it overstays its duration by a margin.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import HarnessError

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
MAX_USERS = 200
MAX_SECONDS = 300.0
BACKEND_PREFIX = "backend:"


class HttpLoadError(HarnessError):
    """locust failed or its stats cannot be read."""


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

    def share(self, backend: str) -> float:
        answered = sum(self.per_backend.values())
        return self.per_backend.get(backend, 0) / answered if answered else 0.0


def locust_argv(*, url: str, users: int, seconds: float) -> list[str]:
    if not 1 <= users <= MAX_USERS or not 0 < seconds <= MAX_SECONDS:
        raise HttpLoadError(f"load must stay within 1-{MAX_USERS} users and {MAX_SECONDS:g} s, "
                            f"asked for {users} users for {seconds:g} s")
    return [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", url,
            "--users", str(users), "--spawn-rate", str(users), "--run-time", f"{seconds:g}s",
            "--stop-timeout", "2", "--json", "--skip-log", "--only-summary", "--exit-code-on-error", "0"]


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


def request_span_s(entries: list[dict[str, Any]]) -> float | None:
    """First request to last, from locust's own timestamps: what its `total_rps` divides by.
    The run time asked for also holds the spawn and the stop, so it would read the rate low."""
    starts = [float(e["start_time"]) for e in entries if e.get("start_time") and e.get("num_requests")]
    lasts = [float(e["last_request_timestamp"]) for e in entries
             if e.get("last_request_timestamp") and e.get("num_requests")]
    if not starts or not lasts or max(lasts) <= min(starts):
        return None
    return max(lasts) - min(starts)


def parse(text: str, *, seconds: float) -> HttpLoadResult:
    """Read locust's `--json` list of per-name stats; `seconds`, the run time asked for, counts
    only when locust gives no timestamps of its own."""
    try:
        entries: list[dict[str, Any]] = json.loads(text)
    except json.JSONDecodeError as error:
        raise HttpLoadError(f"locust printed no JSON stats: {text.strip()[:200]!r}") from error
    histogram: Counter[float] = Counter()
    per_backend: dict[str, int] = {}
    requests = failures = 0
    for entry in entries:
        requests += int(entry["num_requests"])
        failures += int(entry["num_failures"])
        histogram.update({float(ms): int(n) for ms, n in entry["response_times"].items()})
        name = str(entry["name"])
        if name.startswith(BACKEND_PREFIX):
            answered = int(entry["num_requests"]) - int(entry["num_failures"])
            per_backend[name[len(BACKEND_PREFIX):]] = answered
    span = request_span_s(entries) or seconds
    return HttpLoadResult(requests=requests, failures=failures, seconds=span,
                          rps=requests / span if span > 0 else 0.0,
                          p50_ms=percentile(histogram, 0.50), p95_ms=percentile(histogram, 0.95),
                          p99_ms=percentile(histogram, 0.99), per_backend=per_backend)


def run_load(*, url: str, users: int = 12, seconds: float = 5.0) -> HttpLoadResult:
    """Run locust against `url` from this machine (the workstation) and parse its stats."""
    argv = locust_argv(url=url, users=users, seconds=seconds)
    try:
        done = subprocess.run(argv, capture_output=True, text=True, check=False,
                              timeout=seconds + 30)
    except subprocess.TimeoutExpired as error:
        raise HttpLoadError(f"locust overstayed its {seconds:g} s run by 30 s") from error
    if done.returncode != 0:
        raise HttpLoadError(f"locust exited {done.returncode}: {done.stderr.strip()[-300:]}")
    return parse(done.stdout, seconds=seconds)
