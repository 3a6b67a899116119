"""iperf3's parallel-stream and UDP reports and sockperf's ping-pong summary, read from real runs
on the lab (cp1 -> wk1, 2026-12-06):

- `data/iperf3-tcp-4-streams-lab.json`: `iperf3 -c 198.18.0.14 -t 1 -P 4 -J --bind 198.18.0.11`
- `data/iperf3-udp-500mbit-lab.json`: `iperf3 -c 198.18.0.14 -t 1 -u -b 500M -w 4M -J --bind 198.18.0.11`
- `data/sockperf-ping-pong-tcp-lab.txt`: `sockperf ping-pong -i 198.18.0.14 -p 5311 --tcp -t 1
  --full-rtt -m 64` (stdout and stderr, colour codes as sockperf printed them)
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.workloads import iperf3, sockperf

DATA = Path(__file__).parent / "data"


def test_parallel_streams_are_summed_by_iperf3_and_counted() -> None:
    text = (DATA / "iperf3-tcp-4-streams-lab.json").read_text()
    result = iperf3.parse(text, client="cp1", server="wk1")
    per_stream = sum(s["receiver"]["bits_per_second"] for s in json.loads(text)["end"]["streams"]) / 1e6
    assert result.streams == 4 and result.protocol == "TCP"
    assert result.goodput_mbit == pytest.approx(per_stream, rel=1e-6)
    assert result.lost_percent is None and result.jitter_ms is None


def test_udp_reports_the_receivers_goodput_loss_and_jitter() -> None:
    report = json.loads((DATA / "iperf3-udp-500mbit-lab.json").read_text())
    result = iperf3.parse(json.dumps(report), client="cp1", server="wk1")
    received = report["end"]["sum_received"]
    assert result.protocol == "UDP"
    assert result.goodput_mbit == pytest.approx(received["bits_per_second"] / 1e6)
    assert result.lost_percent == received["lost_percent"] == 0
    assert result.jitter_ms == pytest.approx(received["jitter_ms"])
    received["lost_percent"], received["bits_per_second"] = 12.5, 4.3e8  # a lossy run reads as one
    lossy = iperf3.parse(json.dumps(report), client="cp1", server="wk1")
    assert (lossy.lost_percent, lossy.goodput_mbit) == (12.5, pytest.approx(430.0))


def test_client_argv_asks_for_streams_and_udp_with_a_receive_buffer() -> None:
    tcp = iperf3.client_argv(server="198.18.0.14", streams=4)
    assert tcp[tcp.index("--parallel") + 1] == "4" and "--udp" not in tcp
    udp = iperf3.client_argv(server="198.18.0.14", udp_mbit=470.5)
    assert udp[udp.index("--bitrate") + 1] == "470.5M" and udp[udp.index("--window") + 1] == "4M"
    assert "--parallel" not in iperf3.client_argv(server="198.18.0.14")
    with pytest.raises(iperf3.Iperf3Error, match="parallel streams"):
        iperf3.client_argv(server="198.18.0.14", streams=17)
    with pytest.raises(iperf3.Iperf3Error, match="positive offered rate"):
        iperf3.client_argv(server="198.18.0.14", udp_mbit=0)


def test_sockperf_summary_gives_round_trip_percentiles_and_rate() -> None:
    text = (DATA / "sockperf-ping-pong-tcp-lab.txt").read_text()
    trips = sockperf.parse(text, client="cp1", server="wk1")
    assert "\x1b[" in text  # the colour codes sockperf prints are read through
    assert trips.p50_us == 21.862 and trips.p99_us == 939.834
    assert trips.average_us == 73.726
    assert trips.transactions == 7435 and trips.seconds == 0.55
    assert trips.per_second == pytest.approx(7435 / 0.55)


def test_sockperf_without_a_summary_says_what_it_printed() -> None:
    with pytest.raises(sockperf.SockperfError, match=r"no latency summary: .*Connection refused"):
        sockperf.parse("sockperf: ERROR: Connection refused\n", client="cp1", server="wk1")
    text = (DATA / "sockperf-ping-pong-tcp-lab.txt").read_text().replace("ReceivedMessages=7435",
                                                                        "ReceivedMessages=0")
    with pytest.raises(sockperf.SockperfError, match="no message came back"):
        sockperf.parse(text, client="cp1", server="wk1")


def test_ping_pong_is_bounded_and_reports_the_full_round_trip() -> None:
    argv = sockperf.ping_pong_argv(server="198.18.0.14", port=5300, seconds=2)
    assert argv[argv.index("--time") + 1] == "2" and "--full-rtt" in argv and "--tcp" in argv
    assert sockperf.server_argv(bind="198.18.0.14", port=5300)[:2] == ["sockperf", "server"]
    with pytest.raises(sockperf.SockperfError, match="1 s at least"):
        sockperf.ping_pong_argv(server="198.18.0.14", seconds=0.5)
