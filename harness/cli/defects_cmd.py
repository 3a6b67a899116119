"""`harness lab defects`: which checks each seeded lab defect must fail (the defect map)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from harness.profile import defect_map as dm


def defects(as_json: Annotated[bool, typer.Option("--json", help="the map as JSON, for scripts")] = False,
            ) -> None:
    """Every seeded defect with the check instances and scenario expectations it must fail."""
    if as_json:
        rows = [{"defect": p.defect, "profile": p.profile, "runs": list(p.runs), "depth": p.depth,
                 "storage": p.storage, "fails": sorted(p.fails), "may_fail": sorted(p.may_fail),
                 "fails_one_of": sorted(p.fails_one_of)}
                for p in dm.PROOFS]
        typer.echo(json.dumps(rows, indent=2))
        return
    console = Console()
    table = Table("defect", "profile", "fails", box=None, pad_edge=False)
    for proof in dm.PROOFS:
        table.add_row(proof.defect, proof.profile.removeprefix("profiles/"),
                      escape("\n".join(sorted(f.split("/")[-1] for f in proof.fails))))
    console.print(table)
    for profile, missing in dm.NOT_YET.items():
        covered = len(dm.covered(profile))
        console.print(f"{profile}: {covered} of {covered + len(missing)} checks and expectations have a "
                      f"defect; not yet: {len(missing)} (issue 12)")
