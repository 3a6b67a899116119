"""Goodput matrices of one run: who sent to whom, how fast, as the network suite records it.

The suite (suites/network/test_throughput.py) writes `network.node_to_node.goodput` and
`network.pod_to_pod.goodput`, tagged with the iperf3 `sender` and `receiver`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import pandas as pd

from harness import metrics
from harness.results.scrub import scrub_text

# metric -> matrix title, in page order
GOODPUT_METRICS = {metrics.NODE_TO_NODE_GOODPUT.name: "Node to node",
                   metrics.POD_TO_POD_GOODPUT.name: "Pod to pod"}
SENDER, RECEIVER = "sender", "receiver"


@dataclass(frozen=True)
class GoodputRow:
    metric: str
    sender: str
    receiver: str
    value: float
    unit: str


@dataclass(frozen=True)
class Heat:
    title: str
    metric: str
    nodes: list[str]
    cells: list[list[tuple[str, str, str]]]  # (text, background, foreground) per sender x receiver
    unit: str


def goodput_rows(measurements: pd.DataFrame) -> dict[str, list[GoodputRow]]:
    """Per run id, the goodput rows that name both ends; scrubbed like every label on the page."""
    rows = measurements[measurements["metric"].isin(list(GOODPUT_METRICS))]
    result: dict[str, list[GoodputRow]] = defaultdict(list)
    for row in rows.to_dict("records"):
        tags = row.get("tags") or {}
        if SENDER in tags and RECEIVER in tags:
            result[str(row["run_id"])].append(GoodputRow(
                str(row["metric"]), scrub_text(str(tags[SENDER])), scrub_text(str(tags[RECEIVER])),
                float(row["value"]), str(row["unit"])))
    return result


def heat_maps(rows: list[GoodputRow]) -> list[Heat]:
    """One matrix per goodput metric the run recorded, node to node first."""
    by_metric: dict[str, list[GoodputRow]] = defaultdict(list)
    for row in rows:
        by_metric[row.metric].append(row)
    return [heat_map(GOODPUT_METRICS[metric], metric, by_metric[metric])
            for metric in GOODPUT_METRICS if by_metric.get(metric)]


def heat_map(title: str, metric: str, rows: list[GoodputRow]) -> Heat:
    # a pair measured twice (a rerun in one session) shows its last value, as recorded last
    values = {(row.sender, row.receiver): row.value for row in rows}
    nodes = sorted({n for pair in values for n in pair})
    low, high = min(values.values()), max(values.values())
    cells = []
    for sender in nodes:
        line = []
        for receiver in nodes:
            value = values.get((sender, receiver))
            if value is None:
                line.append(("—" if sender != receiver else "", "#f4f4f4", "#888"))
            else:
                # spread the observed range over the palette: 807 vs 929 must look different
                spread = (value - low) / (high - low) if high > low else 1.0
                background, foreground = _color(0.15 + 0.85 * spread)
                line.append((f"{value:.4g}", background, foreground))
        cells.append(line)
    return Heat(title, metric, nodes, cells, rows[0].unit)


def _color(fraction: float) -> tuple[str, str]:
    """Light to dark blue; white text on the dark half."""
    light, dark = (235, 243, 251), (8, 69, 148)
    rgb = [round(a + (b - a) * fraction) for a, b in zip(light, dark, strict=True)]
    return "#{:02x}{:02x}{:02x}".format(*rgb), "#fff" if fraction > 0.55 else "#111"
