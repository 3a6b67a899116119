"""A user's mistake is one sentence and a non-zero exit through `harness`'s real entry point,
never a traceback (issue 17, part 3). The pytest side is in tests/plugin/test_bad_input.py."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

from harness.cli import main
from harness.results.synthetic import History, write_history
from harness.targets.kubernetes.errors import KubeconfigError
from harness.targets.kubernetes.request import load_client
from harness.targets.kubernetes.settings import ClientSettings

REPO = Path(__file__).resolve().parents[2]


def harness(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
            *args: str) -> tuple[int, str, str]:
    """Run `harness ARGS` through `main()`, as the console script does: (exit code, out, err)."""
    monkeypatch.setattr(sys, "argv", ["harness", *args])
    monkeypatch.setenv("COLUMNS", "200")
    with pytest.raises(SystemExit) as stopped:
        main()
    out, err = capsys.readouterr()
    code = stopped.value.code
    return code if isinstance(code, int) else 0 if code is None else 1, out, err


def _assert_one_error(code: int, err: str, *fragments: str) -> None:
    assert code == 1, err
    assert "Traceback" not in err
    assert err.startswith("error: ")
    for fragment in fragments:  # rich wraps at its console's width, inside long paths too
        assert "".join(fragment.split()) in "".join(err.split()), err


def _scenario_with(tmp_path: Path, expectation: str) -> Path:
    document = yaml.safe_load((REPO / "scenarios" / "vip-holder-power-loss.yaml").read_text())
    document["expectations"].append(expectation)
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


@pytest.mark.parametrize(("expectation", "sentence"), [
    ("api.bogus <= 3", "unknown metric 'bogus' of api (known: longest_unavailable_s"),
    ("events.bogus.count >= 1", "no target stamps events of kind 'bogus' (known: power_off"),
    ("events.vip_moved.total >= 1", "event metrics read events.<kind>.count"),
])
def test_chaos_check_refuses_a_metric_the_catalogue_does_not_know(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        expectation: str, sentence: str) -> None:
    code, _, err = harness(capsys, monkeypatch, "chaos", "check", str(_scenario_with(tmp_path, expectation)))
    _assert_one_error(code, err, "expectations[4]: " + sentence)


def test_chaos_check_accepts_a_known_event_metric(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    path = _scenario_with(tmp_path, "events.vip_moved.count >= 1")
    code, out, err = harness(capsys, monkeypatch, "chaos", "check", str(path))
    assert (code, err) == (0, "")
    assert "ok" in out and "5 expectations" in out


@pytest.mark.parametrize("text", ["- a\n- b\n", "just words\n", ""])
def test_profile_check_of_yaml_that_is_not_a_mapping(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        text: str) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(text)
    code, _, err = harness(capsys, monkeypatch, "profile", "check", str(path))
    _assert_one_error(code, err, "has 1 problem", "must be a YAML mapping at the top level")


@pytest.mark.parametrize(("old", "new", "problem"), [
    ("address: 198.18.0.12", "address: 5", "nodes[1].address: input should be a valid string"),
    ("address: 198.18.0.12", "address: true", "nodes[1].address: input should be a valid string"),
    ("port: 2379", "port: true", "controlplane.port: input should be a valid integer"),
    ("mtu: 1500", "mtu: '1500'", "switch.mtu: input should be a valid integer"),
])
def test_yaml_scalars_are_not_coerced_into_addresses_or_numbers(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        old: str, new: str, problem: str) -> None:
    """Found by the fuzz test: lax validation took `true` as the address 0.0.0.1."""
    text = (REPO / "profiles" / "lab.yaml").read_text()
    assert old in text
    path = tmp_path / "p.yaml"
    path.write_text(text.replace(old, new, 1))
    code, _, err = harness(capsys, monkeypatch, "profile", "check", str(path))
    _assert_one_error(code, err, problem)


def test_runs_lists_the_readable_runs_and_names_each_damaged_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    ids = write_history(tmp_path, History(runs=2, metrics=3, extras_in_last_run=False))
    good = tmp_path / f"run-{ids[0]}.json"
    half = tmp_path / "run-20260101T050000Z-half.json"
    half.write_bytes(good.read_bytes()[: good.stat().st_size // 2])  # half-written
    shapeless = tmp_path / "run-20260101T060000Z-shape.json"
    document = json.loads(good.read_text())
    del document["run"]["id"]
    document["measurements"][0]["value"] = "fast"
    shapeless.write_text(json.dumps(document))
    code, out, err = harness(capsys, monkeypatch, "runs", "--runs-dir", str(tmp_path))
    assert code == 1 and "Traceback" not in err
    assert all(run_id in out for run_id in ids)
    lines = err.splitlines()
    assert sum(line.startswith("error: ") for line in lines) == 2, err
    flat = "".join(err.split())
    assert "".join(f"run file {half} cannot be read".split()) in flat
    assert "".join(f"run file {shapeless} is damaged: run.id: field required; measurements[0].value: "
                   "input should be a valid number".split()) in flat


def test_report_refuses_a_damaged_run_file_in_one_sentence(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    write_history(tmp_path / "runs", History(runs=2, metrics=3))
    (tmp_path / "runs" / "run-20260101T050000Z-bad.json").write_bytes(b'{"format": "cluster-harn\xff')
    code, _, err = harness(capsys, monkeypatch, "report", "--runs", str(tmp_path / "runs"),
                           "--out", str(tmp_path / "out"))
    _assert_one_error(code, err, "run-20260101T050000Z-bad.json cannot be read")
    assert err.count("error: ") == 1  # one sentence (rich may wrap it)


def test_a_kubeconfig_that_is_a_directory(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(KubeconfigError, match="is a directory: name the kubeconfig file in it"):
        load_client(kubeconfig=tmp_path, context=None, settings=ClientSettings())
    document = yaml.safe_load((REPO / "profiles" / "homelab.example.yaml").read_text())
    document["kubernetes"]["kubeconfig"] = str(tmp_path)
    profile = tmp_path / "homelab.yaml"
    profile.write_text(yaml.safe_dump(document))
    code, _, err = harness(capsys, monkeypatch, "clean", "--profile", str(profile))
    _assert_one_error(code, err, f"kubeconfig {tmp_path} is a directory")


def test_an_error_quoting_markup_is_printed_as_is(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Messages quote user input; `[/]` in it must not become rich markup (a MarkupError)."""
    (tmp_path / "a[").mkdir()
    path = tmp_path / "a[" / "]profile.yaml"  # the path reads `.../a[/]profile.yaml`
    path.write_text("nodes: [\n")
    code, _, err = harness(capsys, monkeypatch, "profile", "check", str(path))
    _assert_one_error(code, err, "a[/]profile.yaml has 1 problem", "is not valid YAML")
