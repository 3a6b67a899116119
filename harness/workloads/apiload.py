"""API load the way kube-burner measures it: N clients, each its own connection, cycling
create -> get -> list -> delete on objects of their own for a bounded time, every call timed.

The figures are per verb: calls, errors, p50 and p99 latency (client side, from the request's
start to its answer). Kubernetes' own SLOs (sig-scalability, "API call latency") judge them:
single-object calls (create, get, delete) and namespace-scoped lists have separate limits.
Nothing retries: a failed call is an error in the figures, not a hidden second try.
"""

from __future__ import annotations

import itertools
import statistics
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

VERBS = ("create", "get", "list", "delete")
MAX_ERRORS = 50
"""A load that only produces errors stops early: the figure is already known."""


class ObjectVerbs(Protocol):
    """One client's calls on objects it names itself (e.g. ConfigMaps in the run namespace)."""

    def create(self, name: str) -> None: ...
    def get(self, name: str) -> None: ...
    def list(self) -> None: ...
    def delete(self, name: str) -> None: ...


@dataclass(frozen=True)
class VerbFigures:
    verb: str
    calls: int
    errors: int
    p50_ms: float | None
    p99_ms: float | None
    first_error: str | None = None


@dataclass(frozen=True)
class LoadResult:
    clients: int
    duration_s: float
    verbs: tuple[VerbFigures, ...]

    def verb(self, name: str) -> VerbFigures:
        return next(v for v in self.verbs if v.verb == name)

    @property
    def calls(self) -> int:
        return sum(v.calls for v in self.verbs)

    @property
    def errors(self) -> int:
        return sum(v.errors for v in self.verbs)

    @property
    def calls_per_s(self) -> float:
        return self.calls / self.duration_s if self.duration_s > 0 else 0.0


@dataclass
class _Tally:
    latencies_ms: dict[str, list[float]] = field(default_factory=lambda: {v: [] for v in VERBS})
    errors: dict[str, list[str]] = field(default_factory=lambda: {v: [] for v in VERBS})
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, verb: str, began: float, error: BaseException | None) -> None:
        elapsed_ms = (time.perf_counter() - began) * 1000
        with self.lock:
            if error is None:
                self.latencies_ms[verb].append(elapsed_ms)
            else:
                self.errors[verb].append(f"{type(error).__name__}: {error}"[:300])

    def error_count(self) -> int:
        with self.lock:
            return sum(len(e) for e in self.errors.values())


def percentile(values: Sequence[float], pct: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default); None without values."""
    if not values:
        return None
    if len(values) == 1:
        return float(values[0])
    return float(statistics.quantiles(values, n=100, method="inclusive")[int(pct) - 1])


def run_load(clients: Sequence[ObjectVerbs], *, prefix: str, duration_s: float,
             max_cycles: int) -> LoadResult:
    """Every client cycles its verbs until `duration_s` has passed or it did `max_cycles`
    cycles, whichever comes first; an object it created is deleted even when `get` failed."""
    tally = _Tally()
    deadline = time.monotonic() + duration_s

    def timed(verb: str, call: Callable[..., None], *args: str) -> bool:
        began = time.perf_counter()
        try:
            call(*args)
        except Exception as error:  # a failing call is a figure here, not a crash
            tally.record(verb, began, error)
            return False
        tally.record(verb, began, None)
        return True

    def drive(index: int, verbs: ObjectVerbs) -> None:
        for cycle in itertools.count():
            if cycle >= max_cycles or time.monotonic() >= deadline or tally.error_count() >= MAX_ERRORS:
                return
            name = f"{prefix}-{index}-{cycle}"
            if not timed("create", verbs.create, name):
                continue
            timed("get", verbs.get, name)
            timed("list", verbs.list)
            timed("delete", verbs.delete, name)

    began = time.monotonic()
    threads = [threading.Thread(target=drive, args=(i, c), name=f"api-load-{i}", daemon=True)
               for i, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:  # each stops by itself at the deadline; the margin covers a last call
        thread.join(timeout=duration_s + 60)
    elapsed = time.monotonic() - began
    figures = tuple(
        VerbFigures(verb, len(tally.latencies_ms[verb]) + len(tally.errors[verb]), len(tally.errors[verb]),
                    percentile(tally.latencies_ms[verb], 50), percentile(tally.latencies_ms[verb], 99),
                    tally.errors[verb][0] if tally.errors[verb] else None)
        for verb in VERBS)
    return LoadResult(clients=len(clients), duration_s=elapsed, verbs=figures)
