"""Pages of runs written as a session writes them show the run file's own figures.

Each test writes a run through the project's writer (tests/report/written_runs.py), builds the
report, and reads the figure back from the page's section, by its stable id, against the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.report import build_report
from harness.results import read_run_file, run_files
from tests.report.dom import Element, parse, table_rows
from tests.report.written_runs import power_loss_result, record_goodput, record_scenario, write_run

GOODPUT = {("cp1", "cp2"): 931.0, ("cp2", "cp1"): 905.5, ("cp1", "wk1"): 912.25,
           ("wk1", "cp1"): 899.0, ("cp2", "wk1"): 920.0, ("wk1", "cp2"): 940.0}


def _render(runs_dir: Path, out: Path, run_id: str) -> tuple[Element, dict[str, Any]]:
    build_report(runs_dir, out)
    [path] = run_files(runs_dir)
    page = parse((out / "runs" / f"{run_id}.html").read_text(encoding="utf-8"))
    return page, read_run_file(path)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Element, dict[str, Any]]:
    root = tmp_path_factory.mktemp("truth")

    def record(recorder: Any) -> None:
        record_goodput(recorder, GOODPUT)
        record_scenario(recorder, power_loss_result())

    run_id = write_run(root / "runs", record)
    return _render(root / "runs", root / "out", run_id)


def test_the_goodput_matrices_show_what_the_network_suite_recorded(
        run: tuple[Element, dict[str, Any]]) -> None:
    page, document = run
    section = page.by_id("throughput-matrix")
    shown = {table.attrs["data-metric"]: table_rows(table) for table in section.find_all("table")}

    goodput = [m for m in document["measurements"] if m["metric"].endswith(".goodput")]
    assert set(shown) == {m["metric"] for m in goodput} and len(shown) == 2
    for row in goodput:
        header, *lines = shown[row["metric"]]
        cells = {line[0]: dict(zip(header[1:], line[1:], strict=True)) for line in lines}
        text = cells[row["tags"]["sender"]][row["tags"]["receiver"]]
        assert float(text) == pytest.approx(row["value"], rel=5e-4), row
    assert len(goodput) == 2 * len(GOODPUT)


def test_the_failover_lane_shows_the_stored_time_based_availability(
        run: tuple[Element, dict[str, Any]]) -> None:
    page, document = run
    [probe] = [t["data"] for t in document["timelines"] if t["kind"] == "probe"]
    [lane] = [r for r in table_rows(page.by_id("failover").find_all("table")[0])[1:]]
    samples = probe["samples"]["ok"]
    counted = 100 * sum(samples) / len(samples)

    shown = float(lane[2].removesuffix(" %"))
    assert shown == pytest.approx(probe["figures"]["availability_pct"], abs=0.005)
    assert shown != pytest.approx(counted, abs=1.0)  # the ok-sample count would say ~98 %
    assert float(lane[4].removesuffix(" s")) == pytest.approx(probe["figures"]["longest_unavailable_s"],
                                                              abs=0.005)
    assert int(lane[1]) == probe["figures"]["samples"]
    assert int(lane[3]) == probe["figures"]["windows"] == len(probe["windows"])


def test_each_expectation_shows_measured_limit_and_verdict_as_stored(
        run: tuple[Element, dict[str, Any]]) -> None:
    page, document = run
    [journal] = [t["data"] for t in document["timelines"] if t["kind"] == "chaos-journal"]
    # each figure is stored once, in its observation's probe timeline
    figures = {f"{t['data']['observation']}.{name}": value for t in document["timelines"]
               if t["kind"] == "probe" for name, value in t["data"]["figures"].items()}
    section = page.by_id("scenarios")
    [expectations] = section.find_all("table", "expectations")
    rows = table_rows(expectations)[1:]

    assert [r[0] for r in rows] == [e["text"] for e in journal["expectations"]]
    for shown, stored in zip(rows, journal["expectations"], strict=True):
        assert float(shown[1]) == pytest.approx(figures[stored["metric"]], rel=5e-4)
        assert float(shown[2]) == pytest.approx(stored["limit"], rel=5e-4)
        assert shown[3] == ("met" if stored["ok"] else "not met")
    assert {r[3] for r in rows} == {"met", "not met"}  # the run has one of each
    [deviated] = section.find_all("td", "deviated")
    assert deviated.text() == ("yes: the steady state did not come back" if journal["deviated"] else "no")
    [verdict] = section.find_all("span", "badge")[:1]
    assert verdict.text() == ("passed" if journal["passed"] else "failed")


def test_a_deviated_scenario_says_so(tmp_path: Path) -> None:
    run_id = write_run(tmp_path / "runs",
                       lambda recorder: record_scenario(recorder, power_loss_result(deviated=True)))
    page, document = _render(tmp_path / "runs", tmp_path / "out", run_id)

    [journal] = [t["data"] for t in document["timelines"] if t["kind"] == "chaos-journal"]
    [deviated] = page.by_id("scenarios").find_all("td", "deviated")
    assert journal["deviated"] is True
    assert deviated.text().startswith("yes")


def test_a_run_without_goodput_or_scenarios_has_neither_section(tmp_path: Path) -> None:
    run_id = write_run(tmp_path / "runs", lambda recorder: None, status="passed")
    page, _ = _render(tmp_path / "runs", tmp_path / "out", run_id)

    ids = {e.attrs.get("id") for e in page.iter()}
    assert {"throughput-matrix", "scenarios", "failures", "failover"}.isdisjoint(ids)
    assert "components" in ids
