"""The expected matrix, its diff against an observed one, and the report's policy-matrix data."""

from __future__ import annotations

from harness.netpol import Connection, Matrix, diff, expected_matrix, parse_policies, policy_matrix_timeline
from tests.unit.netpol_cases import cluster, netpol

DENY_A = netpol("deny-in", "a",
                "    podSelector: {}\n    ingress: [{from: [{podSelector: {}}], ports: [{port: 80}]}]")


def test_the_expected_matrix_covers_every_ordered_pair_and_port() -> None:
    matrix = expected_matrix(cluster(), parse_policies(DENY_A), [80, (53, "UDP")])
    assert len(matrix) == 4 * 3 * 2
    assert matrix.allowed("a/db", "a/web", 80)
    assert not matrix.allowed("a/db", "a/web", 53, "UDP")
    assert not matrix.allowed("b/client", "a/web", 80)
    assert matrix.allowed("a/web", "b/client", 53, "UDP")
    assert matrix.reasons[Connection("b/client", "a/web", 80)] == \
        "ingress of a/web: no rule allows; isolated by NetworkPolicy a/deny-in"


def test_pods_and_self_pairs_can_be_chosen() -> None:
    matrix = expected_matrix(cluster(), [], [80], pods=["a/web", "b/client"], include_self=True)
    assert set(matrix) == {Connection(s, d, 80) for s in ("a/web", "b/client") for d in ("a/web", "b/client")}


def test_diff_names_the_pair_the_port_both_verdicts_and_the_deciding_policy() -> None:
    expected = expected_matrix(cluster(), parse_policies(DENY_A), [80], pods=["a/web", "b/client"])
    observed = Matrix.from_results([("a/web", "b/client", 80, "TCP", True),
                                    ("b/client", "a/web", 80, "TCP", True)])
    (mismatch,) = diff(expected, observed)
    assert str(mismatch) == ("b/client -> a/web 80/TCP: expected denied, observed allowed "
                             "(ingress of a/web: no rule allows; isolated by NetworkPolicy a/deny-in)")
    assert diff(expected, Matrix.from_results([("a/web", "b/client", 80, "TCP", True),
                                               ("b/client", "a/web", 80, "TCP", False)])) == []


def test_an_allowed_cell_that_failed_names_the_allowing_side() -> None:
    expected = expected_matrix(cluster(), [], [80], pods=["a/web", "b/client"])
    observed = Matrix.from_results([("a/web", "b/client", 80, "TCP", False)])
    mismatches = diff(expected, observed)
    assert [str(m) for m in mismatches] == [
        "a/web -> b/client 80/TCP: expected allowed, observed denied (egress of a/web: default allow "
        "(not isolated); ingress of b/client: default allow (not isolated))",
        "b/client -> a/web 80/TCP: expected allowed, observed not probed (egress of b/client: default allow "
        "(not isolated); ingress of a/web: default allow (not isolated))",
    ]


def test_policy_matrix_timeline_has_one_pair_per_cell() -> None:
    expected = expected_matrix(cluster(), parse_policies(DENY_A), [80], pods=["a/web", "b/client"])
    observed = Matrix.from_results([("a/web", "b/client", 80, "TCP", True)])
    data = policy_matrix_timeline(expected, observed)
    assert data["pairs"] == [
        {"src": "a/web", "dst": "b/client", "port": "80/TCP", "expected": "allow", "observed": "allow",
         "decided_by": "egress of a/web: default allow (not isolated); ingress of b/client: default allow "
                       "(not isolated)"},
        {"src": "b/client", "dst": "a/web", "port": "80/TCP", "expected": "deny", "observed": None,
         "decided_by": "ingress of a/web: no rule allows; isolated by NetworkPolicy a/deny-in"},
    ]
