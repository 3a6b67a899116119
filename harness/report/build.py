"""Run files → frames → analysis → one template → `index.html`, `runs/<id>.html`, compare pages."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from harness.report import detect
from harness.report.analysis import (
    comparable,
    glance,
    run_infos,
    run_metrics,
    series_matrix,
    series_rows,
    version_marks,
)
from harness.report.charts import trend_charts
from harness.report.compare import compare, resolve_run
from harness.report.model import RunInfo
from harness.report.scenarios import scenarios
from harness.report.sections import failover, policy
from harness.report.throughput import GoodputRow, goodput_rows, heat_maps
from harness.results import RunFrames, RunTimelines, load_frames, scrub_text

TEMPLATE = "report.html.j2"


@dataclass(frozen=True)
class Loaded:
    frames: RunFrames  # with every run's timelines as records, scrubbed at load
    infos: list[RunInfo]


def load(runs_dir: Path) -> Loaded:
    frames = load_frames(runs_dir, timelines=True)
    return Loaded(frames, run_infos(frames.runs))


def build_report(runs_dir: Path, out_dir: Path, min_rel: float = detect.MIN_REL_CHANGE) -> Path:
    """Write `index.html` and one page per run under `out_dir`; return the index's path."""
    loaded = load(runs_dir)
    template = _environment().get_template(TEMPLATE)
    index = out_dir / "index.html"
    out_dir.mkdir(parents=True, exist_ok=True)
    if not loaded.infos:
        index.write_text(template.render(page="empty", root="", runs_dir=str(runs_dir)), encoding="utf-8")
        return index
    frames, infos = loaded.frames, loaded.infos
    latest = infos[-1]
    outcomes = _by_run(frames.outcomes)
    rows = series_rows(frames.measurements, infos, latest, min_rel)
    history = comparable(infos, latest)
    matrix = series_matrix(frames.measurements, history)
    values = {scrub_text(str(c)): matrix[c].tolist() for c in matrix.columns}
    versions = [(i, title.split(": ", 1)[-1]) for i, _, title in version_marks(history)]
    charts = trend_charts(rows, values, history, versions)
    goodput = goodput_rows(frames.measurements)
    index.write_text(template.render(
        page="index", root="", glance=glance(infos, outcomes.get(latest.id, []), latest),
        rows=rows, charts=charts, runs=list(reversed(infos)), history=len(history),
        min_rel=min_rel, sections=_sections(loaded, goodput, latest)), encoding="utf-8")
    pages = out_dir / "runs"
    pages.mkdir(exist_ok=True)
    metrics = run_metrics(frames.measurements)
    for info in infos:
        html = template.render(
            page="run", root="../", glance=glance(infos, outcomes.get(info.id, []), info),
            metrics=metrics.get(info.id, []), sections=_sections(loaded, goodput, info))
        (pages / f"{info.id}.html").write_text(html, encoding="utf-8")
    return index


def build_comparison(runs_dir: Path, out_dir: Path, run_a: str, run_b: str,
                     min_rel: float = detect.MIN_REL_CHANGE) -> Path:
    """Write `compare-<A>-<B>.html` under `out_dir`: B against A, noise-aware."""
    loaded = load(runs_dir)
    a, b = resolve_run(loaded.infos, run_a), resolve_run(loaded.infos, run_b)
    result = compare(loaded.frames.measurements, loaded.infos, a, b, min_rel)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"compare-{a.id}-{b.id}.html"
    html = _environment().get_template(TEMPLATE).render(
        page="compare", root="", comparison=result, min_rel=min_rel)
    path.write_text(html, encoding="utf-8")
    return path


def _sections(loaded: Loaded, goodput: dict[str, list[GoodputRow]], run: RunInfo) -> dict[str, Any]:
    timelines = loaded.frames.timelines.get(run.id, RunTimelines())
    return {"scenarios": scenarios(timelines), "failover": failover(timelines),
            "heat": heat_maps(goodput.get(run.id, [])), "policy": policy(timelines)}


def _by_run(outcomes: pd.DataFrame) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in outcomes.to_dict("records"):
        grouped[str(row["run_id"])].append({str(k): v for k, v in row.items()})
    return grouped


def _number(value: float | None, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    return f"{value:.{digits}g}" if abs(value) < 1e6 else f"{value:.3e}"


def _percent(value: float | None, signed: bool = False) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value:+.1%}" if signed else f"{value:.1%}"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("harness.report", "templates"),
        autoescape=True, trim_blocks=True, lstrip_blocks=True,
        undefined=jinja2.StrictUndefined)
    env.filters["num"] = _number
    env.filters["pct"] = _percent
    return env
