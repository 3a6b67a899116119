from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from harness.workloads.http_load import (
    GeneratorUse,
    HttpLoadError,
    LoadSpec,
    busy_over,
    cpu_warned,
    locust_argv,
    master_argv,
    parse,
    percentile,
    resolution_ms,
    worker_argv,
)

DATA = Path(__file__).parent / "data"
ONE_BACKEND = DATA / "locust-stats-one-backend.json"
# Lab runs through a 3-backend LB; the commands that made them: data/locust-lb.md
SINGLE = DATA / "locust-lb-single-paced.json"
DISTRIBUTED = DATA / "locust-lb-distributed-2.json"
SINGLE_SPEC = LoadSpec(users=12, seconds=3, user_rps=100)
DISTRIBUTED_SPEC = LoadSpec(users=12, seconds=5, user_rps=400, workers=2)


def test_parses_real_locust_stats() -> None:
    result = parse(ONE_BACKEND.read_text(), seconds=3.0)
    assert result.requests == 22890 and result.failures == 0
    # locust's own span, first request 886.581 to last 889.389: 2.808 s, not the 3 s asked for
    assert result.seconds == pytest.approx(2.8081, abs=1e-3)
    assert result.rps == pytest.approx(22890 / 2.8080683, rel=1e-4)  # 8151.6, where /3 s said 7630
    assert result.per_backend == {"alpha": 22890}
    assert result.p50_ms == 0.0 and result.p99_ms == 1.0
    assert result.share("alpha") == 1.0 and result.share("beta") == 0.0
    # whole seconds 887 and 888 only: 886 (spawn) and 889 (stop) are partial
    assert result.per_second == (8573, 8122)
    assert result.mean_ms == pytest.approx(9303.6055 / 22890, rel=1e-6)  # 0.406 ms, finer than p50's bucket
    assert result.offered_rps is None and result.limit == "target"  # a closed loop, no busy process known


def test_single_paced_run_met_its_offered_rate() -> None:
    result = parse(SINGLE.read_text(), seconds=3.0, spec=SINGLE_SPEC)
    assert result.requests == 918 + 915 + 912 and result.failures == 0
    # first request (sample-1's start 770.832) to last (sample-1's 773.222)
    assert result.seconds == pytest.approx(1796539773.2222145 - 1796539770.831969, abs=1e-6)
    assert result.rps == pytest.approx(2745 / result.seconds)
    assert result.per_second == (380 + 382 + 378, 396 + 394 + 396)  # seconds 771 and 772, all backends
    assert result.per_second_cv == pytest.approx(0.02797, abs=1e-4)
    assert result.offered_rps == 1200.0 and result.mode == "single"
    assert result.limit == "none"  # 1148 req/s is within 5 % of 1200
    assert "1148 req/s achieved of 1200 offered: the offered rate was met" in result.verdict()
    assert (result.p50_ms, result.p95_ms, result.p99_ms) == (2.0, 9.0, 14.0)
    assert result.max_ms == pytest.approx(86.27, abs=0.01)


def test_distributed_run_short_of_its_offered_rate() -> None:
    result = parse(DISTRIBUTED.read_text(), seconds=5.0, spec=DISTRIBUTED_SPEC)
    assert result.requests == 9304 and result.per_backend == {"sample-0": 3089, "sample-1": 3090,
                                                              "sample-2": 3125}
    # the master's counts per second add up its two workers'; 776 and 781 are partial
    assert result.per_second == (1954, 1982, 1686, 1987)
    assert result.offered_rps == 4800.0 and result.mode == "distributed-2"
    assert result.rps == pytest.approx(1862.6, abs=0.1)
    # short of the offered rate, no load process known to be busy: the target held it
    assert result.limit == "target" and not result.generator_limited
    workers = (GeneratorUse("hlab0-lg:worker-1", cpu_s=4.7, wall_s=5.0),
               GeneratorUse("hlab0-lg:worker-2", cpu_s=2.0, wall_s=5.0))
    busy = replace(result, generators=workers)
    assert busy.generator_busy == pytest.approx(0.94)
    assert busy.generator_limited and busy.limit == "generator"
    assert "the generator was the limit" in busy.verdict() and "94% CPU" in busy.verdict()
    # locust's own warning says so too, whatever our samples say
    assert replace(result, cpu_warning=True).limit == "generator"


def test_a_busy_generator_that_met_its_rate_was_no_limit() -> None:
    result = parse(SINGLE.read_text(), seconds=3.0, spec=SINGLE_SPEC)
    busy = replace(result, generators=(GeneratorUse("locust", cpu_s=2.9, wall_s=3.0),))
    assert not busy.generator_limited and busy.limit == "none"


def test_share_per_backend_and_failures() -> None:
    entries = [
        {"name": "backend:a", "num_requests": 30, "num_failures": 0, "response_times": {"1": 30}},
        {"name": "backend:b", "num_requests": 10, "num_failures": 0, "response_times": {"2": 10}},
        {"name": "/", "num_requests": 5, "num_failures": 5, "response_times": {"2000": 5}},
    ]
    result = parse(json.dumps(entries), seconds=5.0)
    assert result.per_backend == {"a": 30, "b": 10}
    assert result.share("a") == 0.75
    assert result.failures == 5 and result.requests == 45
    assert result.p99_ms == 2000.0
    assert result.seconds == 5.0 and result.per_second == ()  # no timestamps: the time asked for


def test_a_second_without_requests_counts_zero() -> None:
    entries = [{"name": "backend:a", "num_requests": 9, "num_failures": 0, "response_times": {"1": 9},
                "num_reqs_per_sec": {"100": 1, "101": 4, "103": 3, "104": 1}}]
    assert parse(json.dumps(entries), seconds=5.0).per_second == (4, 0, 3)


def test_percentile_of_a_histogram_and_its_resolution() -> None:
    histogram = Counter({1.0: 90, 5.0: 9, 40.0: 1})
    assert percentile(histogram, 0.5) == 1.0
    assert percentile(histogram, 0.95) == 5.0
    assert percentile(histogram, 0.999) == 40.0
    assert percentile(Counter(), 0.5) == 0.0
    # locust.stats.bucket_response_time: whole ms under 100, then 10, 100, 1000 ms buckets
    assert [resolution_ms(v) for v in (0, 99, 100, 990, 1000, 9900, 10_000)] == [1, 1, 10, 10, 100, 100, 1000]


def test_load_is_bounded_and_every_problem_named() -> None:
    with pytest.raises(HttpLoadError, match=r"users 10000 .*workers 9"):
        LoadSpec(users=10_000, seconds=5, workers=9)
    with pytest.raises(HttpLoadError, match="offered"):
        LoadSpec(users=200, seconds=5, user_rps=1000)
    with pytest.raises(HttpLoadError, match="seconds"):
        LoadSpec(users=1, seconds=0)
    with pytest.raises(HttpLoadError, match="whole"):
        LoadSpec(users=1, seconds=1.5)


def test_single_process_argv() -> None:
    argv = locust_argv(url="http://198.18.0.100:80", spec=SINGLE_SPEC)
    assert "--headless" in argv and argv[argv.index("--run-time") + 1] == "3s"
    assert argv[argv.index("--user-rps") + 1] == "100" and "--json" in argv
    assert "--master" not in argv and "--worker" not in argv


def test_master_and_worker_argv() -> None:
    master = master_argv(url="http://198.18.0.100:80", spec=DISTRIBUTED_SPEC, bind="198.18.0.1", port=5557)
    assert "--master" in master and master[master.index("--expect-workers") + 1] == "2"
    assert master[master.index("--master-bind-host") + 1] == "198.18.0.1"
    assert master[master.index("--expect-workers-max-wait") + 1] == "15"  # bounded wait
    assert master[master.index("--users") + 1] == "12" and master[master.index("--run-time") + 1] == "5s"
    worker = worker_argv(master="198.18.0.1", port=5557)
    assert "--worker" in worker and worker[worker.index("--master-host") + 1] == "198.18.0.1"
    assert "--users" not in worker and "--run-time" not in worker  # the master hands them out
    with pytest.raises(HttpLoadError, match="worker"):
        master_argv(url="http://x", spec=SINGLE_SPEC, bind="198.18.0.1", port=5557)


def test_busy_over_the_request_window() -> None:
    # (epoch, cumulative CPU s, cumulative run-queue wait s): idle while starting, then one core
    # busy from t=10 to t=12 while waiting 0.1 s per second for it
    samples = [(9.0, 0.5, 0.0), (9.5, 0.5, 0.0), (10.0, 0.5, 0.0), (11.0, 1.5, 0.1), (12.0, 2.5, 0.2),
               (13.0, 2.6, 0.2)]
    use = busy_over(samples, 10.0, 12.0)
    assert (use.cpu_s, use.wall_s, use.waited_s) == (2.0, 2.0, 0.2)
    assert use.busy == 1.0 and use.demand == pytest.approx(1.1)
    # fewer than two samples in the window: the whole run's
    whole = busy_over(samples, 12.5, 12.6)
    assert (whole.cpu_s, whole.wall_s) == (pytest.approx(2.1), 4.0)
    assert busy_over([], 0.0, 1.0).wall_s == 0.0


def test_a_starved_generator_is_a_limit_too() -> None:
    """Half busy, half waiting for a CPU another process held: it never idled."""
    result = parse(DISTRIBUTED.read_text(), seconds=5.0, spec=DISTRIBUTED_SPEC)
    starved = replace(result, generators=(GeneratorUse("w", cpu_s=2.5, wall_s=5.0, waited_s=2.3),))
    assert starved.generator_busy == 0.5 and starved.generator_demand == pytest.approx(0.96)
    assert starved.limit == "generator"
    assert "50% CPU, 96% with its wait for a CPU" in starved.verdict()
    assert "short of CPU, not busy" in starved.verdict() and "short of CPU" not in busy_verdict()


def busy_verdict() -> str:
    result = parse(DISTRIBUTED.read_text(), seconds=5.0, spec=DISTRIBUTED_SPEC)
    return replace(result, generators=(GeneratorUse("w", cpu_s=4.8, wall_s=5.0),)).verdict()


def test_cpu_warnings_as_locust_logs_them() -> None:
    # locust/runners.py: the process's own and the master's word on its workers
    assert cpu_warned("[2026-12-06 06:43:15,156] vm/WARNING/root: CPU usage above 90%! This may "
                      "constrain your throughput")
    assert cpu_warned("vm/WARNING/locust.runners: Worker vm_1 (index 0) exceeded cpu threshold "
                      "(will only log this once per worker)")
    assert not cpu_warned("vm/INFO/locust.main: --run-time limit reached, shutting down")
