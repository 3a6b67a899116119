"""`pytest suites/` with a user's mistake: one `ERROR:` line and a usage exit, no INTERNALERROR."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.plugin.conftest import REPO, harness_args


def _assert_one_usage_line(result: pytest.RunResult, sentence: str) -> None:
    text = result.stdout.str() + result.stderr.str()
    assert result.ret == pytest.ExitCode.USAGE_ERROR, text
    assert "INTERNALERROR" not in text and "Traceback" not in text, text
    errors = [line for line in text.splitlines() if line.startswith("ERROR: ")]
    assert len(errors) == 1, text
    assert sentence in errors[0], text


def test_unknown_target(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess("--target", "nosuch", "--no-report", "suites")
    _assert_one_usage_line(result, "unknown target 'nosuch'; known: kubernetes, lab")
    assert not (project.path / "reports").exists(), "no run file for a run that never started"


def test_profile_that_is_not_a_mapping(project: pytest.Pytester) -> None:
    (project.path / "list.yaml").write_text("- cp1\n- cp2\n")
    result = project.runpytest_subprocess(*harness_args("--profile", "list.yaml", "suites"))
    _assert_one_usage_line(result, "list.yaml has 1 problem:")
    assert "must be a YAML mapping at the top level" in result.stderr.str()


def test_results_dir_that_is_a_file(project: pytest.Pytester) -> None:
    (project.path / "runs").write_text("not a directory")
    result = project.runpytest_subprocess(*harness_args("--results-dir", "runs", "suites"))
    _assert_one_usage_line(result, "cannot write the run file in")
    assert "runs: it is not a directory" in result.stderr.str()


def test_kubeconfig_that_is_a_directory(project: pytest.Pytester, tmp_path: Path) -> None:
    document = yaml.safe_load((REPO / "profiles" / "homelab.example.yaml").read_text())
    (project.path / "homelab.yaml").write_text(yaml.safe_dump(document))
    result = project.runpytest_subprocess(
        "--profile", "homelab.yaml", "--kubeconfig", str(tmp_path), "--no-report",
        "-p", "no:cacheprovider", "suites")
    _assert_one_usage_line(result, f"is not ready: kubeconfig {tmp_path} is a directory")
