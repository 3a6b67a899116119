from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from harness.workloads.http_load import HttpLoadError, locust_argv, parse, percentile

DATA = Path(__file__).parent / "data" / "locust-stats-one-backend.json"


def test_parses_real_locust_stats() -> None:
    result = parse(DATA.read_text(), seconds=3.0)
    assert result.requests == 22890 and result.failures == 0
    # locust's own span, first request 886.581 to last 889.389: 2.808 s, not the 3 s asked for
    assert result.seconds == pytest.approx(2.8081, abs=1e-3)
    assert result.rps == pytest.approx(22890 / 2.8080683, rel=1e-4)  # 8151.6, where /3 s said 7630
    assert result.per_backend == {"alpha": 22890}
    assert result.p50_ms == 0.0 and result.p99_ms == 1.0
    assert result.share("alpha") == 1.0 and result.share("beta") == 0.0


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


def test_percentile_of_a_histogram() -> None:
    histogram = Counter({1.0: 90, 5.0: 9, 40.0: 1})
    assert percentile(histogram, 0.5) == 1.0
    assert percentile(histogram, 0.95) == 5.0
    assert percentile(histogram, 0.999) == 40.0
    assert percentile(Counter(), 0.5) == 0.0


def test_load_is_bounded() -> None:
    with pytest.raises(HttpLoadError, match="users"):
        locust_argv(url="http://198.18.0.100:80", users=10_000, seconds=5)
    argv = locust_argv(url="http://198.18.0.100:80", users=12, seconds=5)
    assert "--headless" in argv and argv[argv.index("--run-time") + 1] == "5s"
