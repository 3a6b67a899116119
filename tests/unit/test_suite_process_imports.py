"""What a suite's pytest process loads: the plugin and the targets without the report's libraries.

The API load's clients spend about 1 ms of CPU a call in the kubernetes client's own Python; in a
process that had loaded pandas (with numpy and pyarrow) that work measured 0.8-2 % slower, so
the suites' process leaves them to the report and the trend tools, which import them when used.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPORT_LIBRARIES = ("pandas", "numpy", "pyarrow", "matplotlib", "jinja2")


def test_the_plugin_and_both_targets_load_without_the_report_libraries() -> None:
    probe = ("import sys\n"
             "import harness.plugin, harness.targets.kubernetes.target, harness.targets.lab.target\n"
             "import harness.workloads.apiload, harness.results\n"
             f"print(sorted(m for m in {REPORT_LIBRARIES!r} if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120,
                          check=True)
    assert done.stdout.strip() == "[]", f"a suite's process loaded {done.stdout.strip()}"


def test_frames_are_still_pandas_where_they_are_made(tmp_path: Path) -> None:
    probe = ("import sys\n"
             "from pathlib import Path\n"
             "from harness.results import load_frames\n"
             f"frames = load_frames(Path({str(tmp_path)!r}))\n"
             "print(type(frames.runs).__module__.split('.')[0], len(frames.measurements))\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120,
                          check=True)
    assert done.stdout.strip() == "pandas 0"
