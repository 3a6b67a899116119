"""Profiles: the shipped ones load; mistakes are listed all at once with their paths."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harness.cli import app
from harness.errors import ProfileError
from harness.profile import load_profile, parse_profile

REPO = Path(__file__).resolve().parents[2]
LAB = (REPO / "profiles" / "lab.yaml").read_text()


def test_lab_profile_describes_the_lab() -> None:
    profile = load_profile(REPO / "profiles" / "lab.yaml")
    assert [str(n.address) for n in profile.nodes] == [f"198.18.0.{i}" for i in range(11, 15)]
    assert [n.name for n in profile.controlplane_nodes()] == ["cp1", "cp2", "cp3"]
    assert str(profile.controlplane.endpoint) == "198.18.0.10"
    pool = profile.loadbalancer_pool.addresses()
    assert (str(pool[0]), str(pool[-1]), len(pool)) == ("198.18.0.100", "198.18.0.127", 28)
    assert profile.quorum == 2


def test_example_homelab_profile_is_valid_and_fully_commented() -> None:
    path = REPO / "profiles" / "homelab.example.yaml"
    profile = load_profile(path)
    assert profile.target == "kubernetes"
    assert {n.arch for n in profile.nodes} == {"arm64"}
    for line in path.read_text().splitlines():
        if ":" in line and not line.lstrip().startswith(("#", "- name")) and line.strip() != "":
            key = line.split(":")[0].strip().lstrip("- ")
            # Every field carries a comment on its line, or sits in a block headed by one.
            assert "#" in line or key in {"name", "roles", "arch", "address", "first", "last",
                                          "storage", "replication", "images", "kubernetes",
                                          "range", "switch", "controlplane", "nodes"}, line


def _problems(text: str) -> list[tuple[str, str]]:
    with pytest.raises(ProfileError) as caught:
        parse_profile(text)
    return caught.value.problems


def test_three_mistakes_are_reported_together() -> None:
    text = LAB.replace("198.18.0.13", "cp3-address").replace("mtu: 1500", "mtu: 9").replace(
        "roles: [worker]", "roles: [wrker]")
    problems = dict(_problems(text))
    assert problems == {
        "nodes[2].address": "not an IPv4 address (expected 4 octets in 'cp3-address')",
        "nodes[3].roles[0]": "input should be 'controlplane' or 'worker'",
        "switch.mtu": "input should be greater than or equal to 576",
    }


def test_cross_field_rules_are_reported_together() -> None:
    text = LAB.replace("endpoint: 198.18.0.10", "endpoint: 198.18.0.11").replace(
        "min_size: 2", "min_size: 4").replace("defects: []", "defects: [vip-stuck, slow-link:cp9]")
    problems = dict(_problems(text))
    assert "is also a node's address" in problems["controlplane.endpoint"]
    assert problems["storage.replication.min_size"] == "is larger than 'size'"
    assert "slow-link" in problems["lab.defects[1]"]
    assert "cp1" in problems["lab.defects[1]"]
    assert "lab.defects[0]" not in problems


def test_lab_refuses_addresses_outside_the_benchmarking_range() -> None:
    problems = dict(_problems(LAB.replace("198.18.0.12", "10.0.0.12")))
    assert "outside 198.18.0.0/15" in problems["nodes[1].address"]


def test_not_yaml_and_unreadable_are_one_sentence(tmp_path: Path) -> None:
    assert "not valid YAML" in _problems("nodes: [")[0][1]
    with pytest.raises(ProfileError, match="cannot be read"):
        load_profile(tmp_path / "missing.yaml")


def test_cli_check_lists_all_problems_and_exits_non_zero(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(LAB.replace("address: 198.18.0.12,", "address: 1.2.3,").replace(
        "port: 2379", "port: -1").replace("name: lab\n", "name: lab\ncolour: blue\n"))
    harness = Path(sys.executable).parent / "harness"
    result = subprocess.run([str(harness), "profile", "check", str(bad)], capture_output=True,
                            text=True, timeout=60, env={**os.environ, "COLUMNS": "200"})
    assert result.returncode == 1
    assert "has 3 problems" in result.stderr
    assert "nodes[1].address: not an IPv4 address" in result.stderr
    assert "controlplane.port: input should be greater than or equal to 1" in result.stderr
    assert "colour: unknown field" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_check_summarises_a_good_profile() -> None:
    result = CliRunner().invoke(app, ["profile", "check", str(REPO / "profiles" / "lab.yaml")])
    assert result.exit_code == 0, result.output
    assert "4 nodes" in result.output
    assert "198.18.0.10:2379" in result.output
    assert "28 addresses" in result.output
