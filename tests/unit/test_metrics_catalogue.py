"""The metric catalogue names every figure the probes and the chaos runner produce, once."""

from __future__ import annotations

import pytest

from harness import metrics
from harness.chaos.load import parse_scenario
from harness.chaos.metrics import all_metrics, observation_result
from harness.chaos.model import ObserveProbe
from harness.probes import Sample, summarize
from harness.targets.base import Event

FAULT_AT = 10.0


def _samples(values: tuple[str, str] = ("cp1", "cp2")) -> list[Sample]:
    """A 2 Hz timeline down from 11 s to 14 s, with a value that moves once (a VIP holder)."""
    return [Sample(t / 2, not 22 <= t < 28, 0.01, None, values[t >= 24]) for t in range(60)]


def test_availability_figures_are_the_catalogued_ones_in_catalogue_order() -> None:
    figures = summarize(_samples(), fault_at=FAULT_AT).figures()
    assert list(figures) == [spec.name for spec in metrics.AVAILABILITY]
    assert figures[metrics.LONGEST_UNAVAILABLE.name] == pytest.approx(3.01)


@pytest.mark.parametrize("probe", list(ObserveProbe))
def test_every_figure_the_runner_yields_for_an_observation_is_catalogued(probe: ObserveProbe) -> None:
    events = [Event(FAULT_AT, "power-off", "cp1"), Event(20.0, "power-on", "cp1"),
              Event(12.0, "vip-moved", "cp2")]
    values = ("4194304", "4194304") if probe is ObserveProbe.RBD_WRITE else ("cp1", "cp2")  # bytes
    result = observation_result("obs", probe, 2.0, _samples(values), fault_at=FAULT_AT, ended=30.0)
    produced = all_metrics([result], events, fault_at=FAULT_AT)
    observed = {name.removeprefix("obs.") for name in produced if name.startswith("obs.")}
    assert observed == {spec.name for spec in metrics.observation_specs(str(probe))}
    for name in set(produced) - {f"obs.{n}" for n in observed}:
        kind, figure = name.removeprefix(metrics.EVENTS_PREFIX).rsplit(".", 1)
        assert metrics.event_key(kind.replace("_", "-")) + f".{figure}" == name
        assert metrics.event_spec(figure) is not None, name


def test_a_scenario_may_name_each_catalogued_figure_of_its_probe_and_no_other() -> None:
    base = """
title: t
steady_state: [{probe: api.roundtrip}]
method: [{action: pause, duration_s: 1}]
observe: {vip: {probe: controlplane.vip_holder}}
"""
    for spec in metrics.observation_specs("controlplane.vip_holder"):
        parse_scenario(base + f"expectations: ['vip.{spec.name} >= 0']\n")
    with pytest.raises(Exception, match="unknown metric 'longest_stall_s' of vip"):
        parse_scenario(base + "expectations: ['vip.longest_stall_s <= 1']\n")


def test_trended_figures_have_a_measurement_name_and_a_direction() -> None:
    trended = [s for s in metrics.observation_specs("storage.rbd_write") if s.trended]
    assert metrics.LONGEST_STALL in trended and metrics.COMPLETED not in trended
    assert metrics.chaos_metric("io", metrics.LONGEST_STALL) == "chaos.io.longest_stall_s"
    assert set(metrics.timed_from("undo")) == {metrics.OK_AFTER_POWER_ON.name}
    assert metrics.LONGEST_UNAVAILABLE.name in metrics.timed_from("fault")


def test_every_suite_figure_comes_from_the_catalogue() -> None:
    """Suites record through `measure.figure(spec, ...)`: a name, unit or direction spelled in a
    suite would be a second spelling of a catalogued figure."""
    import re
    from pathlib import Path

    suites = Path(__file__).resolve().parents[2] / "suites"
    inline = [f"{path.relative_to(suites)}:{number}" for path in sorted(suites.rglob("*.py"))
              for number, line in enumerate(path.read_text().splitlines(), 1)
              if re.search(r"\bmeasure\(\s*f?[\"']", line)]
    assert inline == []
    specs = {spec for spec in vars(metrics).values() if isinstance(spec, metrics.MetricSpec)}
    specs |= {spec for table in vars(metrics).values() if isinstance(table, dict)
              for spec in table.values() if isinstance(spec, metrics.MetricSpec)}
    names = [spec.name for spec in specs if spec.source == "suite"]
    assert len(names) == len(set(names)), "a suite figure catalogued twice, differently"
