"""Benchmark depth: quick in the acceptance run, full when `-m` selects the benchmarks or
`--depth full` says so; the suites see it through the `depth` fixture and the run file keeps it."""

from __future__ import annotations

import json

import pytest

from harness.plugin.depth import Depth, selects_benchmarks
from tests.plugin.conftest import harness_args

SEEN = """
import pytest

@pytest.mark.benchmark
def test_length(depth, measure):
    measure("bench.seconds", depth.pick(1, 3), "s", higher_is_better=False)
"""


@pytest.mark.parametrize(("markexpr", "selects"), [
    ("benchmark", True), ("benchmark and not disruptive", True), ("(benchmark or disruptive)", True),
    ("not benchmark", False), ("disruptive", False), ("", False), ("not disruptive", False),
])
def test_markexpr_selects_benchmarks(markexpr: str, selects: bool) -> None:
    assert selects_benchmarks(markexpr) is selects


def test_pick_gives_the_depths_value() -> None:
    assert (Depth("quick").pick(1, 3), Depth("full").pick(1, 3)) == (1, 3)


@pytest.mark.parametrize(("args", "depth", "seconds"), [
    ((), "quick", 1.0), (("-m", "benchmark"), "full", 3.0), (("--depth", "full"), "full", 3.0),
    (("-m", "benchmark", "--depth", "quick"), "quick", 1.0),
])
def test_the_run_file_records_the_depth_the_suite_ran_at(project: pytest.Pytester, args: tuple[str, ...],
                                                         depth: str, seconds: float) -> None:
    project.makepyfile(**{"suites/test_bench": SEEN})
    result = project.runpytest_subprocess(*harness_args(*args, "suites"))
    result.assert_outcomes(passed=1)
    [path] = (project.path / "reports" / "runs").glob("run-*.json")
    document = json.loads(path.read_text())
    assert document["run"]["depth"] == depth
    assert [row["value"] for row in document["measurements"]] == [seconds]
