"""Twin rounds that earlier runs printed, read back: what `api_slis_twin --from-logs` pools."""

from __future__ import annotations

import pytest

from benchmarks.twinlog import Rounds, add_round, round_means, rounds_from_logs

RUN = """\
round 1 (harness first): figure, harness, hand, difference
  api.load.p50[create]               16.6      15.15   +9.6 %
  api.load.p50[get]                  12.8      12.25   +4.5 %
round 2 (hand first): figure, harness, hand, difference
  api.load.p50[create]              15.76      15.52   +1.5 %
  api.load.p50[get]                 12.02      12.31   -2.4 %
over 2 round(s), per-round figures:
  api.load.p50[create]         pooled harness 16.18, hand 15.33: +5.5% (95 % interval ...)
"""


def test_every_round_of_every_log_is_read_and_the_summary_is_not() -> None:
    pooled = rounds_from_logs([RUN, RUN.replace("16.6 ", "17.0 ")])
    assert pooled["api.load.p50[create]"] == ([16.6, 15.76, 17.0, 15.76], [15.15, 15.52, 15.15, 15.52])
    assert pooled["api.load.p50[get]"][1] == [12.25, 12.31, 12.25, 12.31]
    assert set(pooled) == {"api.load.p50[create]", "api.load.p50[get]"}


def test_a_log_with_no_rounds_adds_nothing() -> None:
    assert rounds_from_logs(["lab down in 0.9 s: nothing left\n"]) == {}


def test_a_rounds_mean_is_over_the_figures_of_that_round() -> None:
    assert round_means([[10.0, 20.0], [30.0, 40.0]]) == [20.0, 30.0]
    with pytest.raises(ValueError, match="shorter"):  # a figure short of a round would mispair
        round_means([[10.0, 20.0], [30.0]])


def test_what_a_round_prints_reads_back_as_the_figures_it_pooled(capsys: pytest.CaptureFixture[str]) -> None:
    pooled: Rounds = {}
    add_round(pooled, 1, "harness", {"pod.startup.p50[cp1]": 0.02137, "api.load.p50[get]": 12.8},
              {"pod.startup.p50[cp1]": 0.021, "api.load.p50[get]": 12.25})
    add_round(pooled, 2, "hand", {"pod.startup.p50[cp1]": 0.0199, "api.load.p50[get]": 12.02},
              {"pod.startup.p50[cp1]": 0.0212, "api.load.p50[get]": 12.31})
    assert pooled["api.load.p50[get]"] == ([12.8, 12.02], [12.25, 12.31])
    assert rounds_from_logs([capsys.readouterr().out]) == pooled
