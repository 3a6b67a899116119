"""The cluster-harness pytest plugin (entry point `cluster_harness`).

Options and markers are always there; the run machinery (profile, target, run file) wakes up
only for suites/ and scenarios/ or when `--profile`/`--target` is given, so the harness's own
tests never touch a cluster. Everything lives in submodules, loaded through `pytest_plugins`.
"""

from harness.plugin.depth import Depth, depth
from harness.plugin.fixtures import Measure, measure, profile, record_components, record_timeline, target

pytest_plugins = [
    "harness.plugin.options",
    "harness.plugin.items",
    "harness.plugin.session",
    "harness.plugin.scenarios",
    "harness.plugin.dryrun",
    "harness.plugin.preflight",
    "harness.plugin.timing",
]

__all__ = ["Depth", "Measure", "depth", "measure", "profile", "record_components", "record_timeline",
           "target"]
