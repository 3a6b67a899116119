"""Render benchmark: 1,000 runs x 100 metrics, a 15 % drop planted at run 700 of one metric.

    .venv/bin/python benchmarks/report_render.py [--runs 1000] [--metrics 100] [--keep DIR]

Prints the render time (budget 5 s) and the index size (budget 5 MB); exits 1 over budget or
when the planted regression is not flagged or a noise-only series is.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

from harness.report import build_report
from harness.results.synthetic import History, metric_name, write_history

PLANTED = 8  # net.bench_008: MB/s, higher is better
TIME_BUDGET_S = 5.0
SIZE_BUDGET = 5 * 1024 * 1024


def history(runs: int, metrics: int) -> History:
    return History(runs=runs, metrics=metrics, seed=7, steps={PLANTED: [(runs * 7 // 10, 0.85)]},
                   version_change_at=runs * 7 // 10)


def flags(index_html: str) -> dict[str, str]:
    rows = re.findall(r'<tr class="[^"]*" id="series-\d+">\s*<td><code>([^<]+)</code>.*?'
                      r'<span class="badge ([\w-]+)">', index_html, flags=re.DOTALL)
    return dict(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--metrics", type=int, default=100)
    parser.add_argument("--keep", type=Path, help="write here instead of a temporary directory")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = args.keep or Path(scratch)
        started = time.perf_counter()
        write_history(root / "runs", history(args.runs, args.metrics))
        print(f"generated {args.runs} runs x {args.metrics} metrics in "
              f"{time.perf_counter() - started:.2f} s")
        started = time.perf_counter()
        index = build_report(root / "runs", root / "out")
        elapsed = time.perf_counter() - started
        size = index.stat().st_size
        pages = sum(p.stat().st_size for p in (root / "out" / "runs").glob("*.html"))
        print(f"render: {elapsed:.2f} s (budget {TIME_BUDGET_S:.0f} s), index.html: "
              f"{size / 1e6:.2f} MB (budget 5 MB), {args.runs} run pages: {pages / 1e6:.1f} MB")
        found = flags(index.read_text(encoding="utf-8"))
        planted = next(name for name in found if name == metric_name(PLANTED))
        noisy = {name: flag for name, flag in found.items() if flag != "ok" and name != planted}
        print(f"planted {planted}: {found[planted]}; other series flagged: {noisy or 'none'}")
        ok = (elapsed <= TIME_BUDGET_S and size <= SIZE_BUDGET and found[planted] == "regression"
              and not noisy)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
