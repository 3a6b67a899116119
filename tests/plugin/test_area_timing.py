"""The per-area time table at the end of a harness session (issue 11: where the minute goes)."""

from __future__ import annotations

import re

import pytest

from harness.plugin.timing import area_of
from tests.plugin.conftest import harness_args


@pytest.mark.parametrize(("nodeid", "area"), [
    ("suites/network/test_throughput.py::test_node_to_node_goodput[cp1->cp2]", "suites/network"),
    ("suites/test_flat.py::test_x", "suites/test_flat.py"),
    ("scenarios/vip-holder-power-loss.yaml::vip-holder-power-loss", "scenarios/vip-holder-power-loss.yaml"),
])
def test_an_area_is_the_folder_below_suites(nodeid: str, area: str) -> None:
    assert area_of(nodeid) == area


def test_each_area_gets_its_tests_time_including_fixtures(project: pytest.Pytester) -> None:
    project.makepyfile(**{
        "suites/slow/test_slow": """
import time
import pytest

@pytest.fixture
def warmed():
    time.sleep(0.4)
    yield
    time.sleep(0.2)

def test_one(warmed):
    time.sleep(0.3)

def test_two():
    pass
""",
        "suites/fast/test_fast": "def test_quick():\n    pass\n",
    })
    result = project.runpytest_subprocess(*harness_args())
    result.assert_outcomes(passed=3)
    out = result.stdout.str()
    assert "cluster-harness time per area" in out
    slow = re.search(r"^suites/slow\s+(\d+)\s+([\d.]+) s$", out, re.MULTILINE)
    fast = re.search(r"^suites/fast\s+(\d+)\s+([\d.]+) s$", out, re.MULTILINE)
    assert slow is not None and fast is not None, out
    assert slow[1] == "2" and fast[1] == "1"
    assert 0.9 <= float(slow[2]) < 5 and float(fast[2]) < 0.5
    assert re.search(r"^wall time\s+[\d.]+ s$", out, re.MULTILINE), out


def test_the_harness_own_tests_print_no_table(project: pytest.Pytester) -> None:
    project.makepyfile(test_plain="def test_plain():\n    pass")
    result = project.runpytest_subprocess("-p", "no:cacheprovider")
    assert "time per area" not in result.stdout.str()
