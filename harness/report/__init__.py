"""HTML performance reports: run files → pandas → analysis → one Jinja2 template.

`build_report` writes a self-contained `index.html` plus `runs/<id>.html`; `build_comparison`
writes one run against another; `detect` holds the pure regression-detection functions.
"""

from harness.report.build import build_comparison, build_report
from harness.report.detect import ChangePoint, Verdict, assess, change_points, drift
from harness.report.export import export_runs
from harness.results.scrub import scrub

__all__ = ["ChangePoint", "Verdict", "assess", "build_comparison", "build_report",
           "change_points", "drift", "export_runs", "scrub"]
