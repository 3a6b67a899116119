"""The `harness` command: one typer app; each room's commands live in a module of their own.

Each command module exposes `register(app)`. User mistakes surface as one line and exit 1
(`HarnessError`); anything else keeps its traceback because it is a bug.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.markup import escape

from harness.cli import chaos_cmd, clean_cmd, lab_cmd, profile_cmd, report_cmd, runs_cmd
from harness.errors import HarnessError

app = typer.Typer(
    name="harness",
    help="Validate a homelab Kubernetes cluster: acceptance checks, chaos scenarios, benchmarks "
    "and reports. Tests run with `pytest suites/`; this command manages what surrounds them.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
for module in (profile_cmd, lab_cmd, runs_cmd, report_cmd, chaos_cmd, clean_cmd):
    module.register(app)

error_console = Console(stderr=True)


def main() -> None:
    try:
        app()
    except HarnessError as error:
        # escaped: a message quotes user input (paths, YAML), which may hold `[/]`
        error_console.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False)
        sys.exit(1)
