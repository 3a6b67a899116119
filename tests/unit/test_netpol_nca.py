"""The engine against IBM network-config-analyzer's third-party cases (tests/reference/netpol/nca)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from harness.netpol import PolicyError, load_cluster, load_policies, nca
from tests.reference import NCA

CYCLONUS = NCA / "cyclonus-simple-example"
BAD_PATH = NCA / "network-policy-checks-bad-path"
GOOD_FILES = {"networkPolicy_no_error.yaml", "mixed_ipv4_ipv6_policy.yaml"}  # expectedError: 0 in the scheme


def _cyclonus_relations(output_name: str) -> tuple[nca.Relation, nca.Relation]:
    scheme = yaml.safe_load((CYCLONUS / "policies/cyclonus-simple-example-scheme.yaml").read_text())
    cluster = load_cluster(namespaces=CYCLONUS / "podlist/cyclonus_ns_list.json",
                           pods=CYCLONUS / "podlist/cyclonus_pod_list.json")
    policies = load_policies([CYCLONUS / "policies" / name
                              for name in scheme["networkConfigList"][0]["networkPolicyList"]])
    text = (CYCLONUS / "policies/expected_output" / output_name).read_text()
    rules = nca.parse_fw_rules_yaml(text) if output_name.endswith(".yaml") else nca.parse_fw_rules_txt(text)
    assert len(rules) == 4
    blocks = [b for r in rules for b in (*r.src_ips, *r.dst_ips)]
    atoms = nca.ip_atoms(nca.policy_networks(policies), blocks)
    pods = json.loads((CYCLONUS / "podlist/cyclonus_pod_list.json").read_text())["items"]
    expected = nca.nca_relation(rules, cluster, nca.workload_names(pods), atoms)
    return nca.engine_relation(cluster, policies, atoms), expected


@pytest.mark.parametrize("output_name", ["cyclonus-simple-example-scheme_output.txt",
                                         "cyclonus-simple-example-scheme_output.yaml"])
def test_engine_reproduces_cyclonus_simple_example_exactly(output_name: str) -> None:
    ours, theirs = _cyclonus_relations(output_name)
    assert ours == theirs
    # the relation is not trivially empty: 9 peer pairs, among them IP atoms and a pod to itself
    assert len(theirs) == 9
    assert theirs[("y/pod-b", "y/pod-b")] == nca.ALL
    assert ("0.0.1.0-255.255.255.255", "y/pod-c") not in theirs


def test_comparison_detects_a_changed_policy_set() -> None:
    scheme = yaml.safe_load((CYCLONUS / "policies/cyclonus-simple-example-scheme.yaml").read_text())
    names = [n for n in scheme["networkConfigList"][0]["networkPolicyList"] if "allow-by-ip" not in n]
    cluster = load_cluster(namespaces=CYCLONUS / "podlist/cyclonus_ns_list.json",
                           pods=CYCLONUS / "podlist/cyclonus_pod_list.json")
    rules = nca.parse_fw_rules_txt(
        (CYCLONUS / "policies/expected_output/cyclonus-simple-example-scheme_output.txt").read_text())
    atoms = nca.ip_atoms([], [b for r in rules for b in (*r.src_ips, *r.dst_ips)])
    pods = json.loads((CYCLONUS / "podlist/cyclonus_pod_list.json").read_text())["items"]
    ours = nca.engine_relation(cluster, load_policies([CYCLONUS / "policies" / n for n in names]), atoms)
    assert ours != nca.nca_relation(rules, cluster, nca.workload_names(pods), atoms)


BAD = sorted(p for p in BAD_PATH.glob("*.yaml") if "scheme" not in p.name and p.name not in GOOD_FILES)


def test_the_bad_path_list_matches_the_scheme() -> None:
    # the scheme expects an error for 86 files; the mixed-family one is good (tests/reference/SOURCES.md)
    scheme = yaml.safe_load((BAD_PATH / "network-policy-check-bad-path-scheme.yaml").read_text())
    expected_bad = {name for config in scheme["networkConfigList"] if config.get("expectedError")
                    for name in config["networkPolicyList"]}
    assert {p.name for p in BAD} == expected_bad
    assert len(BAD) == 86


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_every_malformed_policy_is_rejected_with_a_path(path: Path) -> None:
    with pytest.raises(PolicyError) as raised:
        load_policies([path])
    assert raised.value.problems
    assert all(where.startswith(path.name) for where, _ in raised.value.problems)


@pytest.mark.parametrize("name", sorted(GOOD_FILES))
def test_the_good_policies_of_the_corpus_load(name: str) -> None:
    assert len(load_policies([BAD_PATH / name])) == 1


def test_all_problems_of_all_files_are_reported_at_once() -> None:
    paths = [BAD_PATH / "endport_less_than_port.yaml", BAD_PATH / "spec_wrong_keys.yaml"]
    with pytest.raises(PolicyError) as raised:
        load_policies(paths)
    where = [w for w, _ in raised.value.problems]
    # the endport file has two defects (a CIDR without a prefix and endPort < port), the spec file two keys
    assert len(where) == 4
    assert "endport_less_than_port.yaml: spec.ingress[0].ports[0].endPort" in where
    assert "spec_wrong_keys.yaml: spec.name" in where
    assert str(raised.value).startswith("policies from")
