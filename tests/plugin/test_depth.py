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


DEEP = """
import pytest

@pytest.mark.benchmark
@pytest.mark.full_depth
def test_deep(measure):
    measure("bench.rtt", 2.0, "ms", higher_is_better=False, samples=[1.0, 2.0, 4.0])

def test_always():
    pass
"""


@pytest.mark.parametrize(("args", "ran"), [((), ["test_always"]),
                                           (("--depth", "full"), ["test_always", "test_deep"])])
def test_full_depth_benchmarks_are_left_out_of_the_acceptance_run(
        project: pytest.Pytester, args: tuple[str, ...], ran: list[str]) -> None:
    project.makepyfile(**{"suites/test_deep": DEEP})
    result = project.runpytest_subprocess(*harness_args(*args, "suites"))
    result.assert_outcomes(passed=len(ran), deselected=2 - len(ran))
    [path] = (project.path / "reports" / "runs").glob("run-*.json")
    document = json.loads(path.read_text())
    assert sorted(o["nodeid"].rsplit("::", 1)[1] for o in document["outcomes"]) == ran
    if "test_deep" in ran:  # the repeated runs behind a figure stay in the run file, and load
        from harness.results import load_frames

        [row] = document["measurements"]
        assert (row["value"], row["samples"]) == (2.0, [1.0, 2.0, 4.0])
        frames = load_frames(project.path / "reports" / "runs")
        assert frames.measurements["stdev"].iloc[0] == pytest.approx(1.5275, abs=1e-4)
