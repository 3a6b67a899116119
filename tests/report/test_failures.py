"""A failed check shows its own sentence first; pytest's report (arguments, locals) folds away."""

from __future__ import annotations

import pytest

from harness.report import build_report
from harness.report.failures import split_message
from harness.results import read_run_file, run_files
from tests.plugin.conftest import harness_args, project
from tests.report.dom import parse

__all__ = ["project"]  # the plugin tests' throwaway project, a fixture used here

SUITE = '''
def test_link(target):
    goodput = 12.0
    assert goodput >= 800, "cp1 -> cp2: 12 Mbit/s is below\\n0.85 x 941 = 800 Mbit/s"


def _members(node):
    raise RuntimeError(f"etcd member {node} did not answer")


def test_members(target):
    _members("cp2")


def test_passes(target):
    pass
'''


def test_the_failures_section_leads_with_each_checks_sentence(project: pytest.Pytester) -> None:
    project.makepyfile(**{"suites/test_checks": SUITE})
    project.runpytest_subprocess(*harness_args("suites")).assert_outcomes(passed=1, failed=2)
    runs = project.path / "reports" / "runs"
    [path] = run_files(runs)
    document = read_run_file(path)

    build_report(runs, project.path / "out")

    page = parse((project.path / "out" / "runs" / f"{document['run']['id']}.html").read_text())
    rows = page.by_id("failures").find_all("tr", "failure")
    shown = {r.find_all("code")[0].text(): r for r in rows}
    stored = {o["nodeid"]: o["message"] for o in document["outcomes"] if o["outcome"] == "failed"}
    assert set(shown) == set(stored)
    sentences = {nodeid: row.find_all("p", "sentence")[0] for nodeid, row in shown.items()}
    assert {n: s.text() for n, s in sentences.items()} == {
        "suites/test_checks.py::test_link": "cp1 -> cp2: 12 Mbit/s is below\n0.85 x 941 = 800 Mbit/s",
        "suites/test_checks.py::test_members": "RuntimeError: etcd member cp2 did not answer"}
    for nodeid, row in shown.items():
        assert not sentences[nodeid].inside("details")
        [context] = row.find_all("pre", "context")
        assert context.inside("details")
        assert context.text() == stored[nodeid].strip()  # the whole stored report, nothing lost
        assert "target = <fake_target.FakeTarget object at 0x" in context.text()


def test_the_sentence_of_an_assert_with_a_message() -> None:
    report = """target = <T object at 0x7f>

    def test_a(target):
>       assert speed >= 800, "slow"
E       AssertionError: slow
E       assert 12.0 >= 800

test_x.py:7: AssertionError"""

    text = split_message(report)

    assert text.sentence == "slow"
    assert text.context == report


def test_a_bare_assert_shows_pytests_explanation() -> None:
    text = split_message(">       assert 12.0 >= 800\nE       assert 12.0 >= 800\n\nt.py:3: AssertionError")

    assert text.sentence == "assert 12.0 >= 800"


def test_a_chained_exception_shows_the_last_one() -> None:
    report = ("E   KeyError: 'cp9'\n\nDuring handling of the above exception, another exception occurred:\n"
              "\n>       raise TargetError('no node cp9')\nE       harness.errors.TargetError: no node cp9\n")

    assert split_message(report).sentence == "harness.errors.TargetError: no node cp9"


def test_a_message_without_pytests_markers_is_its_own_sentence() -> None:
    text = split_message("profile has no GPU node\n")

    assert (text.sentence, text.context) == ("profile has no GPU node", None)
