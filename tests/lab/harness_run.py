"""Run the harness's own pytest (suites/, scenarios/) against the lab in a subprocess, as a user
would, and read back the run file it wrote."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.results import ProbeTimeline, RunTimelines

REPO = Path(__file__).resolve().parents[2]
LAB_PROFILE = REPO / "profiles" / "lab.yaml"


@dataclass(frozen=True)
class HarnessRun:
    returncode: int
    output: str
    document: dict[str, Any]

    def outcomes(self) -> dict[str, str]:
        """Test name (without the file) -> outcome."""
        return {row["nodeid"].split("::")[-1]: row["outcome"] for row in self.document["outcomes"]}

    def failed(self) -> set[str]:
        return {name for name, outcome in self.outcomes().items() if outcome in ("failed", "error")}

    def timelines(self, kind: str) -> list[dict[str, Any]]:
        return [t for t in self.document["timelines"] if t["kind"] == kind]

    def records(self) -> RunTimelines:
        """The run's timelines as the report reads them: typed, each figure where it was stored."""
        return RunTimelines.from_rows(self.document["timelines"])

    def probe(self, observation: str, scenario: str) -> ProbeTimeline:
        """The probe timeline of one observation of the scenario whose node id ends so."""
        found = [p for p in self.records().probes
                 if p.observation == observation and (p.nodeid or "").endswith(scenario)]
        assert len(found) == 1, found
        return found[0]

    def figures(self) -> dict[str, float | None]:
        """Every figure of the run's scenarios, named as expectations read them."""
        records = self.records()
        found = {f"{p.observation}.{name}": value for p in records.probes if p.observation
                 for name, value in p.figures.items()}
        for timeline in records.events:
            found.update(timeline.figures)
        return found

    def unmet(self) -> set[str]:
        """`<scenario>: <metric>` of every expectation the run's scenarios did not meet."""
        return {f"{t['nodeid'].split('::')[-1]}: {e['text'].split()[0]}"
                for t in self.timelines("chaos-journal") for e in t["data"]["expectations"] if not e["ok"]}


def defect_profile(tmp_path: Path, *defects: str, storage: bool = False) -> Path:
    """profiles/lab.yaml with these defects; Ceph only when the test needs it (saves ~30 s a lab)."""
    text = LAB_PROFILE.read_text()
    replacements = [("defects: []", f"defects: [{', '.join(defects)}]")]
    if not storage:
        replacements += [("  enabled: true ", "  enabled: false"), ("  storage: true ", "  storage: false")]
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    name = f"lab-{'-'.join(defects) or 'healthy'}{'-storage' if storage else ''}.yaml"
    path = tmp_path / name.replace(":", "_")
    path.write_text(text)
    return path


def run_harness(tmp_path: Path, *args: str, profile: Path | None = None,
                timeout_s: float = 600) -> HarnessRun:
    """pytest on the harness's own suites/scenarios; by default the lab without Ceph."""
    profile = profile or defect_profile(tmp_path)
    runs = tmp_path / f"runs-{len(list(tmp_path.glob('runs-*')))}"
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--no-report",
               "--profile", str(profile), "--results-dir", str(runs), "-q", *args]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=timeout_s,
                          check=False)
    files = list(runs.glob("run-*.json"))
    assert len(files) == 1, f"expected one run file in {runs}:\n{done.stdout}\n{done.stderr}"
    return HarnessRun(done.returncode, done.stdout + done.stderr, json.loads(files[0].read_text()))
