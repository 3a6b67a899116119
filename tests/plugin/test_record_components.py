"""A test names the tools it ran (`record_components`): they join the target's in the run file's
components, from the controller and from xdist workers alike."""

from __future__ import annotations

import json

import pytest

from tests.plugin.conftest import harness_args

NAMED = """
def test_names_its_tool(record_components):
    record_components({"s3-benchmark": "warp 9.9.9"})

def test_names_nothing():
    pass
"""


@pytest.mark.parametrize("workers", [(), ("-n", "2")])
def test_a_tool_a_test_ran_is_in_the_components(project: pytest.Pytester, workers: tuple[str, ...]) -> None:
    project.makepyfile(**{"suites/test_named": NAMED})
    result = project.runpytest_subprocess(*harness_args(*workers, "suites"))
    result.assert_outcomes(passed=2)
    [path] = (project.path / "reports" / "runs").glob("run-*.json")
    components = json.loads(path.read_text())["run"]["components"]
    assert components == {"fake-etcd": "3.4.0", "s3-benchmark": "warp 9.9.9"}
