"""`harness chaos recover`: list and heal the faults an earlier run applied and never undid.

The ledger (`harness.chaos.owed`) lives beside the run files; a pytest session on the same target
pays it before its first test, and this command does the same by hand (after a prompt).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from harness.chaos.owed import RollbackLedger, pay_owed
from harness.profile import load_profile
from harness.results import new_run_id
from harness.targets import make_target

DEFAULT_PROFILE = Path("profiles/lab.yaml")
DEFAULT_RESULTS = Path("reports/runs")


def recover(
    profile: Annotated[Path, typer.Option(help="cluster profile (its target is healed)")] = DEFAULT_PROFILE,
    results_dir: Annotated[Path, typer.Option(help="where the run files and the ledger live")
                           ] = DEFAULT_RESULTS,
    yes: Annotated[bool, typer.Option("--yes", help="heal without asking")] = False,
    forget: Annotated[bool, typer.Option("--forget", help="drop what is owed without healing "
                                          "(after healing it by hand)")] = False,
) -> None:
    """Heal what earlier runs left broken (a node powered off, a service killed, a link cut)."""
    console = Console()
    loaded = load_profile(profile)
    target = make_target(loaded.target, loaded, run_id=new_run_id())
    ledger = RollbackLedger.in_results(results_dir)
    owed = ledger.outstanding(target.id)
    if not owed:
        console.print(f"nothing owed on {target.id}")
        return
    console.print(f"{len(owed)} rollback(s) owed on {target.id}:")
    for entry in owed:
        console.print(f"  {entry.describe()}", highlight=False)
    if forget:
        for entry in owed:
            ledger.settle(entry.id)
        console.print("forgotten: the ledger no longer lists them")
        return
    if not yes and not typer.confirm("Heal them now?"):
        raise typer.Exit(1)
    healed = pay_owed(ledger, target, say=lambda line: console.print(f"  [green]ok[/] {line}",
                                                                       highlight=False))
    console.print(f"healed {healed}; nothing owed on {target.id}")
