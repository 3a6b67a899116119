"""The defect table: each check or expectation a defect proof failed, and the value it failed on.

    .venv/bin/python -m benchmarks.defect_table /tmp/proofs-lab [/tmp/proofs-kubelab ...]

Not a benchmark: a reader of the run files the lab tiers' defect proofs leave behind. Run a tier
with a kept base folder (`pytest tests -m lab --basetemp /tmp/proofs-lab`), then this prints one
Markdown row per failed check instance or unmet scenario expectation: the defect seeded (from the
proof's profile), what failed, and the check's own sentence or the expectation's measured value.
Healthy runs and runs whose profile seeds nothing are left out. Reads files only.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path

import yaml

from harness.results import ExpectationRecord, RunTimelines

_MAX_SENTENCE = 160


def _defects(run_file: Path) -> list[str]:
    """The proof's seeded defects: its profile sits in the test's folder, beside `runs-N/`."""
    for profile in sorted(run_file.parent.parent.glob("*.yaml")):
        loaded = yaml.safe_load(profile.read_text()) or {}
        defects = (loaded.get("lab") or {}).get("defects") or []
        if defects:
            return [str(d) for d in defects]
    return []


def _sentence(message: str) -> str:
    """The first line the check wrote: pytest's `E` lines when the message holds its long report
    (locals first), without `AssertionError:` and the assert echo."""
    lines = message.splitlines()
    reported = [line[1:] for line in lines if line.startswith("E ")]
    for line in reported or lines:
        text = line.strip().removeprefix("AssertionError:").strip()
        if text and not text.startswith(("assert ", "where ", "+", "-")):
            return text if len(text) <= _MAX_SENTENCE else text[:_MAX_SENTENCE - 1] + "…"
    return "(no message)"


def _measured(expectation: ExpectationRecord) -> str:
    """`0 (limit >= 1)`: the figure as stored, and the expectation's operator and limit."""
    value = "not measured" if expectation.measured is None else f"{expectation.measured:.3g}"
    words = expectation.text.split()
    limit = f"{words[1]} {expectation.limit:g}" if expectation.limit is not None and len(words) > 1 else "?"
    return f"{value} (limit {limit})"


def rows(run_file: Path) -> Iterator[tuple[str, str, str]]:
    """(defect, what failed, measured) for each failure of one run file; a scenario's unmet
    expectations from its typed record, as the report reads them."""
    defects = _defects(run_file)
    if not defects:
        return
    seeded = "+".join(defects)
    document = json.loads(run_file.read_text())
    scenarios = {s.nodeid: s for s in RunTimelines.from_rows(document.get("timelines", [])).scenarios}
    for outcome in document["outcomes"]:
        if outcome["outcome"] not in ("failed", "error"):  # an error: its fixture failed
            continue
        nodeid = outcome["nodeid"]
        scenario = scenarios.get(nodeid)
        unmet = [e for e in scenario.expectations if not e.ok] if scenario else []
        if not unmet:
            yield seeded, nodeid, _sentence(outcome.get("message") or "")
            continue
        deviated = " and steady state not back" if scenario and scenario.deviated else ""
        yield seeded, nodeid, f"did not pass: {len(unmet)} expectation(s) not met{deviated}"
        path = nodeid.split("::")[0]
        for expectation in unmet:
            yield seeded, f"{path}::expect {expectation.metric}", _measured(expectation)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("basetemps", nargs="+", type=Path)
    args = parser.parse_args()
    found = sorted({row for base in args.basetemps for run in base.rglob("run-*.json") for row in rows(run)})
    print("| defect | fails | measured |")
    print("|---|---|---|")
    for defect, what, measured in found:
        cell = measured.replace("|", "\\|")
        print(f"| `{defect}` | `{what}` | {cell} |")
    print(f"\n{len(found)} rows from {', '.join(str(b) for b in args.basetemps)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
