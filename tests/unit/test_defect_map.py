"""The defect map against what pytest collects: every check instance and scenario expectation a
lab profile runs is either failed by a seeded defect (a `Proof`, run by the lab tiers) or listed
in `NOT_YET`; nothing is both, nothing is neither, and the map names only what exists."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harness.chaos import load_scenario
from harness.chaos.expressions import parse_expectation
from harness.cli import app
from harness.profile import defect_map as dm
from harness.profile import load_profile, parse_defect

REPO = Path(__file__).resolve().parents[2]


def collected(profile: str, tmp_path: Path) -> set[str]:
    """Every check the profile's scope collects, at either depth (full adds the benchmarks
    the acceptance run leaves out)."""
    found: set[str] = set()
    for depth in ("quick", "full"):
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "--no-report",
             "--results-dir", str(tmp_path), "--profile", profile, "--depth", depth, *dm.SCOPE[profile]],
            cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        found |= {line for line in done.stdout.splitlines() if "::" in line and not line.startswith(" ")}
    return found


def expectations(scenario_ids: set[str]) -> set[str]:
    found = set()
    for nodeid in scenario_ids:
        path = nodeid.split("::")[0]
        for text in load_scenario(REPO / path).expectations:
            found.add(f"{path}::expect {parse_expectation(text).metric}")
    return found


@pytest.mark.parametrize("profile", [dm.LAB, dm.KUBE_LAB])
def test_every_check_and_expectation_has_a_defect_or_is_listed_as_not_yet(profile: str,
                                                                          tmp_path: Path) -> None:
    checks = collected(profile, tmp_path)
    universe = checks | expectations({c for c in checks if c.startswith("scenarios/")})
    covered, not_yet = dm.covered(profile), dm.NOT_YET[profile]
    assert covered - universe == set(), "the map names checks pytest does not collect"
    assert covered & not_yet == set(), "covered now: remove these from NOT_YET"
    assert universe - covered - not_yet == set(), "new checks without a defect"
    assert not_yet - universe == set(), "NOT_YET names checks that do not exist"
    for proof in dm.proofs(profile):  # "may fail" is not shown to fail: it stays work left
        assert proof.may_fail | proof.fails_one_of <= not_yet | covered, proof
    share = len(covered) / len(universe)
    print(f"{profile}: {len(covered)} of {len(universe)} checks and expectations covered ({share:.0%})")


def test_every_proof_names_a_real_defect_and_what_it_runs() -> None:
    for proof in dm.PROOFS:
        nodes = [n.name for n in load_profile(REPO / proof.profile).nodes]
        for defect in proof.seeded:
            parse_defect(defect, nodes)  # raises on a defect the lab does not know
        for run in proof.runs:
            assert (REPO / run.split("::")[0]).exists(), run
        assert proof.fails, proof
        paths = tuple(r.split("::")[0] for r in proof.runs)
        assert all(f.split("::")[0].startswith(paths) for f in proof.fails), proof
    keys = [(p.defect, p.runs, p.profile) for p in dm.PROOFS]
    assert len(keys) == len(set(keys)), "one proof per defect, run and profile"


def test_names_and_expectations_as_the_run_file_spells_them() -> None:
    proof = next(p for p in dm.PROOFS if p.defect == "announcer-stuck")
    assert proof.names == {"lb-announcer-power-loss"}
    assert "lb-announcer-power-loss: announcer.changes" in proof.expectations
    nodes = next(p for p in dm.PROOFS if p.defect == "wrong-mtu:cp2" and p.profile == dm.LAB)
    assert nodes.names == {"test_link_speed_and_mtu_match_the_profile[cp2]"} and not nodes.expectations


def test_the_cli_prints_the_map_as_a_table_and_as_json() -> None:
    runner = CliRunner()
    table = runner.invoke(app, ["lab", "defects"], env={"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    assert "etcd-split-brain" in table.output and "test_exactly_one_leader" in table.output
    assert "test_clock_is_synchronised[cp3]" in table.output  # parameters are not taken for markup
    assert "not yet" in table.output
    done = runner.invoke(app, ["lab", "defects", "--json"])
    assert done.exit_code == 0, done.output
    rows = json.loads(done.output)
    assert {"defect", "profile", "runs", "fails"} <= set(rows[0])
    split = next(r for r in rows if r["defect"] == "etcd-split-brain")
    assert split["fails"] == [f"{dm.CP}test_all_members_healthy", f"{dm.CP}test_exactly_one_leader"]
    assert split["profile"] == dm.LAB
    assert len(rows) == len(dm.PROOFS)


@pytest.mark.parametrize("profile", [dm.LAB, dm.KUBE_LAB])
def test_node_rounds_hold_every_node_proof_once_and_share_no_node_or_kind(profile: str) -> None:
    rounds = dm.node_rounds(profile)
    grouped = [p.defect for group in rounds for p in group]
    assert sorted(grouped) == sorted(p.defect for p in dm.proofs(profile) if p.runs == ("suites/nodes",))
    for group in rounds:
        kinds = [p.defect.split(":")[0] for p in group]
        nodes = [p.defect.split(":")[1] for p in group]
        assert len(set(kinds)) == len(kinds) and len(set(nodes)) == len(nodes), group
        # each node's checks are that node's own: a shared lab cannot blur whose check failed
        assert all(f"[{node}]" in name for p, node in zip(group, nodes, strict=True) for name in p.names)
    assert len(rounds) < len(grouped) / 3


def test_a_proof_explains_a_run_only_with_all_it_must_fail_and_one_of_its_either_checks() -> None:
    split = next(p for p in dm.proofs(dm.KUBE_LAB) if p.defect == "etcd-split-brain")
    must = {"test_exactly_one_leader", "test_all_members_healthy"}
    assert split.explains(must | {"test_member_reachable_directly[cp3]"})
    assert split.explains(must | {f"test_member_reachable_directly[{n}]" for n in ("cp1", "cp2")})
    assert not split.explains(must)  # every member reaching the run's namespace: no split seen
    assert not split.explains({"test_exactly_one_leader", "test_member_reachable_directly[cp3]"})
    assert not split.explains(must | {"test_member_reachable_directly[cp3]", "test_vip_answers"})
