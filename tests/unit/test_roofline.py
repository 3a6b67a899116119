"""The storage roofline: closed forms from the module docstring checked against the flow sums."""

from __future__ import annotations

import pytest

from harness.roofline import StorageRoofline, ceiling, link_loads, link_mib_s

B = link_mib_s(941)


def test_link_goodput_in_mib() -> None:
    assert pytest.approx(112.18, abs=0.01) == B


def test_read_from_a_client_with_its_own_link_is_bound_by_that_link() -> None:
    c = ceiling(link=B, op="read", osd_nodes=4, size=3)
    assert (c.mib_s, c.bottleneck, c.load) == (pytest.approx(B), "client down", pytest.approx(1.0))


def test_read_from_an_osd_node_gets_its_local_share_free() -> None:
    c = ceiling(link=B, op="read", osd_nodes=4, size=3, client_osd=0)
    assert c.mib_s == pytest.approx(B * 4 / 3)


@pytest.mark.parametrize(("n", "r"), [(4, 3), (3, 3), (4, 2), (6, 3)])
def test_write_loads_match_the_closed_forms(n: int, r: int) -> None:
    loads = link_loads(op="write", osd_nodes=n, size=r)
    assert loads["client up"] == pytest.approx(1.0)
    assert all(loads[f"osd{i} up"] == pytest.approx((r - 1) / n) for i in range(n))  # extra copies
    assert all(loads[f"osd{i} down"] == pytest.approx(r / n) for i in range(n))
    # Every byte crosses the switch once from the client and r-1 times as a copy.
    assert sum(v for k, v in loads.items() if k.endswith(" up")) == pytest.approx(r)


def test_write_from_an_osd_node_carries_data_and_copies_on_one_uplink() -> None:
    c = ceiling(link=B, op="write", osd_nodes=4, size=3, client_osd=3)
    assert c.bottleneck == "osd3 up" and c.load == pytest.approx(1 + (3 - 2) / 4)
    assert c.mib_s == pytest.approx(0.8 * B)


def test_s3_put_is_bound_by_the_gateway_downlink() -> None:
    roof = StorageRoofline(link=B, osd_nodes=4, size=3, gateway_osd=3, names=("a", "b", "c", "d"))
    put = roof.object_put()
    assert put.bottleneck == "d down" and put.load == pytest.approx(1 + 2 / 4)
    assert put.mib_s == pytest.approx(B / 1.5)
    loads = link_loads(op="write", osd_nodes=4, size=3, gateway_osd=3)
    assert loads["osd3 up"] == pytest.approx(0.75 + 0.5)
    # LAB-NOTES: a new key costs ~3.85x its payload on the network (3.75 + metadata).
    assert sum(v for k, v in loads.items() if k.endswith(" up")) == pytest.approx(3.75)


def test_s3_get_is_bound_by_one_link() -> None:
    get = StorageRoofline(link=B, osd_nodes=4, size=3, gateway_osd=3).object_get()
    assert get.mib_s == pytest.approx(B) and get.bottleneck in ("client down", "osd3 up")


def test_a_single_copy_pool_sends_no_copies() -> None:
    loads = link_loads(op="write", osd_nodes=4, size=1)
    assert all(v == pytest.approx(0.25) for k, v in loads.items() if k.startswith("osd"))


@pytest.mark.parametrize("bad", [dict(osd_nodes=2, size=3), dict(osd_nodes=0, size=1)])
def test_impossible_shapes_are_refused(bad: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="replication size"):
        link_loads(op="write", **bad)
    with pytest.raises(ValueError, match="op must be"):
        link_loads(op="delete", osd_nodes=4, size=3)
