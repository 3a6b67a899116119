from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.workloads.iperf3 import Iperf3Error, client_argv, parse, server_argv

DATA = Path(__file__).parent / "data" / "iperf3-tcp-984mbit-htb.json"


def sample_text() -> str:
    return DATA.read_text()


def test_parses_goodput_from_the_receiver_and_retransmits_from_the_sender() -> None:
    result = parse(sample_text(), client="cp1", server="cp2")
    assert result.goodput_mbit == pytest.approx(939.318, abs=0.01)
    assert result.sent_mbit == pytest.approx(941.363, abs=0.01)
    assert result.retransmits == 0
    assert (result.sender, result.receiver) == ("cp1", "cp2")


def test_reverse_swaps_sender_and_receiver() -> None:
    report = json.loads(sample_text())
    report["start"]["test_start"]["reverse"] = 1
    result = parse(json.dumps(report), client="cp1", server="cp2")
    assert (result.sender, result.receiver) == ("cp2", "cp1")


def test_error_report_and_garbage_raise() -> None:
    with pytest.raises(Iperf3Error, match="unable to connect"):
        parse('{"start": {}, "error": "unable to connect to server"}', client="a", server="b")
    with pytest.raises(Iperf3Error, match="no JSON"):
        parse("iperf3: error", client="a", server="b")


def test_command_lines_are_bounded_and_one_off() -> None:
    assert "--one-off" in server_argv(bind="198.18.0.12")
    argv = client_argv(server="198.18.0.12", seconds=3, reverse=True)
    assert argv[argv.index("--time") + 1] == "3" and "--reverse" in argv and "--json" in argv
