"""Command-line options, ini keys and markers of the cluster-harness pytest plugin."""

from __future__ import annotations

import pytest

DISRUPTION_FLAG = "--allow-disruption"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("cluster-harness", "cluster-harness: validate a homelab cluster")
    group.addoption("--target", default=None, metavar="NAME",
                    help="target to test: lab or kubernetes (default: the profile's `target`)")
    group.addoption("--profile", default=None, metavar="PATH",
                    help="cluster profile (default: profiles/lab.yaml)")
    group.addoption(DISRUPTION_FLAG, action="store_true", default=False,
                    help="run tests marked `disruptive` (power-off, kills, partitions)")
    group.addoption("--results-dir", default=None, metavar="DIR",
                    help="where run files go (default: reports/runs under the rootdir)")
    group.addoption("--run-label", default=None, metavar="TEXT",
                    help="free-form label stored in the run file, e.g. 'after talos 1.9'")
    group.addoption("--kubeconfig", default=None, metavar="PATH",
                    help="kubernetes target: kubeconfig (default: profile, then $KUBECONFIG, ~/.kube/config)")
    group.addoption("--kube-context", default=None, metavar="NAME",
                    help="kubernetes target: kubeconfig context (default: profile, then the current one)")
    group.addoption("--talosconfig", default=None, metavar="PATH",
                    help="kubernetes target: talosconfig (default: profile, $TALOSCONFIG, ~/.talos/config)")
    group.addoption("--no-report", action="store_true", default=False,
                    help="don't rebuild the HTML report (reports/index.html) at the end of the run")
    group.addoption("--depth", default=None, choices=("quick", "full"),
                    help="benchmark length: quick (acceptance) or full (trend figures); default full "
                         "when -m selects `benchmark`, quick otherwise")
    group.addoption("--keep-lab", action="store_true", default=False,
                    help="leave the lab running at the end if this session brought it up")


def pytest_configure(config: pytest.Config) -> None:
    for line in (
        f"disruptive: breaks part of the cluster on purpose; runs only with {DISRUPTION_FLAG}, "
        "one at a time",
        "benchmark: records performance measurements; never runs beside another benchmark "
        "or disruptive test",
        "target(*names): run only on these targets (lab, kubernetes)",
        "full_depth: a benchmark measured only at full depth (-m benchmark, --depth full); the "
        "acceptance run deselects it",
    ):
        config.addinivalue_line("markers", line)
