"""warp's command line and its `--json` report, parsed from real outputs captured on the lab
(tests/unit/data/warp-lab.md says how each was made)."""

from __future__ import annotations

import copy
import json
import statistics
from pathlib import Path

import pytest

from harness.workloads.warp import UNMEASURED_S, WarpError, WarpSpec, parse_warp, warp_argv

DATA = Path(__file__).parent / "data"
MIB = 1 << 20


def text(name: str) -> str:
    return (DATA / name).read_text()


def spec(**changes: object) -> WarpSpec:
    fields: dict[str, object] = {
        "op": "get",
        "endpoint": "http://198.18.0.14:7480",
        "bucket": "b",
        "object_size": 4 * MIB,
        "duration_s": 10,
        "objects": 40,
    }
    return WarpSpec(**{**fields, **changes})  # type: ignore[arg-type]


def test_argv_is_bounded_and_carries_no_keys() -> None:
    argv = warp_argv("/bin/warp", spec(), benchdata=Path("/tmp/x/get"))
    assert argv[:2] == ["/bin/warp", "get"]
    pairs = dict(zip(argv[2::2], argv[3::2], strict=False))
    assert pairs["--host"] == "198.18.0.14:7480" and pairs["--duration"] == "10s"
    assert pairs["--obj.size"] == str(4 * MIB) and pairs["--objects"] == "40"
    assert pairs["--benchdata"] == "/tmp/x/get" and "--json" in argv
    assert not any("key" in a for a in argv)
    assert "--objects" not in warp_argv("/bin/warp", spec(op="put", objects=0), benchdata=Path("p"))
    assert "--tls" in warp_argv("w", spec(endpoint="https://rgw.example:443"), benchdata=Path("p"))


def test_limit_covers_upload_pause_and_run() -> None:
    s = spec(objects=100, object_size=4 * MIB, duration_s=10)
    assert s.limit_s() >= 100 * 4 / 5 + 3 + 10


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"op": "delete"}, "op 'delete'"),
        ({"duration_s": UNMEASURED_S}, "measures nothing"),
        ({"duration_s": 3600}, "600 s"),
        ({"objects": 0}, "needs 1-10000 objects"),
        ({"concurrent": 0}, "concurrent"),
        ({"endpoint": "198.18.0.14:7480"}, "not http(s)://host:port"),
        ({"endpoint": "http://198.18.0.14:7480/bucket"}, "not http(s)://host:port"),
    ],
)
def test_bad_specs_refused(changes: dict[str, object], says: str) -> None:
    with pytest.raises(ValueError, match=says.replace("(", r"\(").replace(")", r"\)")):
        spec(**changes)


def test_put_report() -> None:
    result = parse_warp(text("warp-put-64k-lab.json"))
    assert result.version == "1.6.1" and "*REDACTED*" in result.commandline
    put = result.op("put")
    assert [o.op for o in result.ops] == ["put"]
    assert put.object_size == 64 * 1024 and put.errors == 0 and put.first_error == ""
    document = json.loads(text("warp-put-64k-lab.json"))
    assert put.requests == document["by_op_type"]["PUT"]["total_requests"] > 0
    # an 8 s run: warp measures the whole seconds between its two-second edges
    assert put.seconds == len(put.samples) == 5
    # warp's average is its window's bytes over its length: the mean of its per-second samples
    assert put.throughput_mib_s == pytest.approx(statistics.mean(s.mib_s for s in put.samples), rel=1e-6)
    assert put.ops_per_s * 64 / 1024 == pytest.approx(put.throughput_mib_s, rel=0.01)
    assert [s.offset_s for s in put.samples] == [0, 1, 2, 3, 4]
    assert 0 < put.latency_p50_ms < put.latency_p99_ms
    phase = put.as_phase()
    assert (phase.op, phase.object_size, phase.throughput_mib_s) == ("put", 65536, put.throughput_mib_s)


def test_mixed_report_has_every_operation() -> None:
    result = parse_warp(text("warp-mixed-1m-lab.json"))
    assert [o.op for o in result.ops] == ["delete", "get", "put", "stat"]
    get, put = result.op("get"), result.op("put")
    assert get.object_size == put.object_size == MIB
    # warp's default shares: GET 45 %, STAT 30 %, PUT 15 %, DELETE 10 % of the requests
    total = sum(o.requests for o in result.ops)
    assert 0.35 < get.requests / total < 0.55 and 0.08 < put.requests / total < 0.22
    assert result.op("stat").throughput_mib_s == 0 and result.op("stat").ops_per_s > 0
    assert all(len(o.samples) == 5 for o in result.ops)
    with pytest.raises(KeyError, match="no list"):
        result.op("list")


def test_errors_and_short_runs_are_reported() -> None:
    document = json.loads(text("warp-put-64k-lab.json"))
    failing = copy.deepcopy(document)
    failing["by_op_type"]["PUT"].update(total_errors=3, first_errors=["PUT: 503 SlowDown"])
    put = parse_warp(json.dumps(failing)).op("put")
    assert put.errors == 3 and put.first_error == "PUT: 503 SlowDown"
    short = copy.deepcopy(document)
    del short["by_op_type"]["PUT"]["throughput"]["segmented"]
    with pytest.raises(WarpError, match="too short"):
        parse_warp(json.dumps(short)).op("put")


def test_a_stray_request_beside_the_measured_operation_is_no_error() -> None:
    """Seen on the lab: a GET run's report held one PUT (of its upload) and no second of it."""
    document = json.loads(text("warp-put-64k-lab.json"))
    stray = copy.deepcopy(document["by_op_type"]["PUT"])
    stray["throughput"] = {"errors": 0, "measure_duration_millis": 0, "bytes": 0, "objects": 0, "ops": 0}
    stray.update(total_requests=1, total_objects=1)
    document["by_op_type"]["GET"] = stray
    result = parse_warp(json.dumps(document))
    assert result.op("put").throughput_mib_s > 0
    with pytest.raises(WarpError, match=r"no whole second of get \(1 requests\)"):
        result.op("get")


@pytest.mark.parametrize("broken", ["", "warp: Error preparing server", "{}", '{"by_op_type": 3}'])
def test_unreadable_reports(broken: str) -> None:
    with pytest.raises(WarpError, match="no report we can read"):
        parse_warp(broken)
