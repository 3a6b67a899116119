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
import re
from collections.abc import Iterator
from pathlib import Path

import yaml

_UNMET = re.compile(r"^\s*(?P<metric>[\w.]+) = (?P<measured>.*?), expected (?P<limit>.*): NOT met$")
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


def rows(run_file: Path) -> Iterator[tuple[str, str, str]]:
    """(defect, what failed, measured) for each failure of one run file."""
    defects = _defects(run_file)
    if not defects:
        return
    seeded = "+".join(defects)
    for outcome in json.loads(run_file.read_text())["outcomes"]:
        if outcome["outcome"] not in ("failed", "error"):  # an error: its fixture failed
            continue
        nodeid, message = outcome["nodeid"], outcome.get("message") or ""
        unmet = [m for m in map(_UNMET.match, message.splitlines()) if m]
        if nodeid.startswith("scenarios/") and unmet:
            path = nodeid.split("::")[0]
            deviated = " and steady state not back" if "(deviated)" in message else ""
            yield seeded, nodeid, f"did not pass: {len(unmet)} expectation(s) not met{deviated}"
            for found in unmet:
                measured = f"{found['measured']} (limit {found['limit']})"
                yield seeded, f"{path}::expect {found['metric']}", measured
        else:
            yield seeded, nodeid, _sentence(message)


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
