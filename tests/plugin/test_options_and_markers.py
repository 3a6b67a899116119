"""The plugin's options, markers and skips, seen from a real pytest subprocess."""

from __future__ import annotations

import json

import pytest

from harness.results import FORMAT_VERSION
from tests.plugin.conftest import harness_args


def test_options_appear_in_help(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess("--help")
    result.stdout.fnmatch_lines([
        "*cluster-harness*",
        "*--target=NAME*",
        "*--profile=PATH*",
        "*--allow-disruption*",
        "*--results-dir=DIR*",
        "*--run-label=TEXT*",
        "*--kubeconfig=PATH*",
        "*--kube-context=NAME*",
        "*--talosconfig=PATH*",
        "*--no-report*",
        "*--depth={quick,full}*",
    ])


def test_markers_are_registered(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.disruptive:*", "@pytest.mark.benchmark:*",
                                 "@pytest.mark.target(*names):*"])


DISRUPTIVE = """
import pytest

@pytest.mark.disruptive
def test_power_off(target):
    assert target.kind == "fake"
"""


def test_disruptive_is_skipped_without_the_flag(project: pytest.Pytester) -> None:
    project.makepyfile(**{"suites/test_chaos": DISRUPTIVE})
    result = project.runpytest_subprocess(*harness_args("-rs", "suites"))
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*disruptive*pass --allow-disruption to run it*"])


def test_disruptive_runs_with_the_flag(project: pytest.Pytester) -> None:
    project.makepyfile(**{"suites/test_chaos": DISRUPTIVE})
    result = project.runpytest_subprocess(*harness_args("--allow-disruption", "suites"))
    result.assert_outcomes(passed=1)


def test_target_marker_skips_other_targets(project: pytest.Pytester) -> None:
    project.makepyfile(**{"suites/test_only": """
import pytest

@pytest.mark.target("kubernetes")
def test_only_on_kubernetes():
    pass

@pytest.mark.target("lab", "fake_target:FakeTarget")
def test_here_too():
    pass
"""})
    result = project.runpytest_subprocess(*harness_args("-rs", "suites"))
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["*only for target kubernetes*"])


def test_bad_profile_is_refused_before_any_test_with_every_problem(project: pytest.Pytester) -> None:
    project.makepyfile(**{"suites/test_nothing": "def test_never_runs():\n    raise AssertionError"})
    bad = (project.path / "profiles" / "lab.yaml").read_text()
    bad = bad.replace("198.18.0.13", "198.18.0.300").replace("port: 2379", "port: 99999")
    bad = bad.replace("mtu: 1500", "mtu: 1500\n  speed: fast")
    (project.path / "profiles" / "bad.yaml").write_text(bad)
    result = project.runpytest_subprocess(*harness_args("--profile", "profiles/bad.yaml", "suites"))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = result.stderr.str()
    assert "/profiles/bad.yaml has 3 problems:" in errors
    assert "  nodes[2].address: not an IPv4 address" in errors
    assert "  controlplane.port: input should be less than or equal to 65535" in errors
    assert "  switch.speed: unknown field" in errors
    assert "Traceback" not in result.stderr.str() + result.stdout.str()


def test_idle_outside_suites_writes_no_run_file(project: pytest.Pytester) -> None:
    project.makepyfile(test_plain="def test_plain():\n    pass")
    result = project.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert not (project.path / "reports").exists()


def test_run_file_holds_outcomes_measurements_and_components(project: pytest.Pytester) -> None:
    project.makepyfile(**{"suites/test_measured": """
def test_fast(measure):
    measure("api.roundtrip.p50", 1.5, "ms", higher_is_better=False, node="cp1")

def test_broken():
    assert 1 == 2
"""})
    result = project.runpytest_subprocess(*harness_args("--run-label", "nightly", "suites", report=True))
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*cluster-harness report: */index.html*"])
    assert "api.roundtrip.p50" in (project.path / "reports" / "index.html").read_text()
    [path] = (project.path / "reports" / "runs").glob("run-*.json")
    document = json.loads(path.read_text())
    assert document["version"] == FORMAT_VERSION
    run = document["run"]
    assert (run["status"], run["label"], run["target"]) == ("failed", "nightly", "fake://lab")
    assert run["components"] == {"fake-etcd": "3.4.0"}
    assert run["ended"] is not None
    outcomes = {row["nodeid"].split("::")[1]: row for row in document["outcomes"]}
    assert outcomes["test_fast"]["outcome"] == "passed"
    assert outcomes["test_broken"]["outcome"] == "failed"
    assert "assert 1 == 2" in outcomes["test_broken"]["message"]
    [row] = document["measurements"]
    assert row["metric"] == "api.roundtrip.p50"
    assert row["tags"] == {"node": "cp1"}
    assert row["nodeid"].endswith("test_fast")


def test_credential_flags_override_the_profile(project: pytest.Pytester) -> None:
    project.makepyfile(**{"suites/test_creds": """
def test_creds(profile):
    assert str(profile.kubernetes.kubeconfig) == "/tmp/kc.yaml"
    assert profile.kubernetes.context == "homelab-admin"
    assert str(profile.kubernetes.talosconfig) == "/tmp/tc.yaml"
"""})
    result = project.runpytest_subprocess(*harness_args(
        "--kubeconfig", "/tmp/kc.yaml", "--kube-context", "homelab-admin", "--talosconfig", "/tmp/tc.yaml",
        "suites"))
    result.assert_outcomes(passed=1)


def test_collect_only_writes_no_run_file(project: pytest.Pytester) -> None:
    project.makepyfile(**{"suites/test_listed": "def test_listed(target):\n    pass\n"})
    result = project.runpytest_subprocess(*harness_args("--collect-only", "-q", "--results-dir", "runs",
                                                        "suites"))
    assert result.ret == 0, result.stdout.str()
    assert "suites/test_listed.py::test_listed" in result.stdout.str()
    assert not (project.path / "runs").exists(), "a listing is no run: no run file"


def test_a_target_that_comes_up_shows_its_steps_in_the_terminal(project: pytest.Pytester) -> None:
    # The lab's `show_progress` protocol: the session hands it pytest's line writer before
    # prepare(), so `lab up: <step> <seconds> s` lines appear while the lab comes up.
    project.makepyfile(steps_target='''
from fake_target import FakeTarget


class SteppingTarget(FakeTarget):
    write = None

    def show_progress(self, write):
        self.write = write

    def prepare(self):
        for step, seconds in (("etcd", 0.11), ("keepalived", 0.02)):
            self.write(f"lab up: {step} {seconds:.2f} s")
''')
    project.makepyfile(**{"suites/test_one": "def test_one(target):\n    pass\n"})
    result = project.runpytest_subprocess("--target", "steps_target:SteppingTarget", "-p", "no:cacheprovider",
                                          "--no-report", "--results-dir", "runs", "suites")
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(["lab up: etcd 0.11 s", "lab up: keepalived 0.02 s", "*1 passed*"])
