"""`harness clean`: delete what crashed runs left on a cluster, found by the harness labels."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from harness.errors import HarnessError
from harness.profile import load_profile

DEFAULT_PROFILE = Path("profiles/homelab.yaml")


def register(app: typer.Typer) -> None:
    app.command("clean")(clean)


def clean(
    profile: Annotated[
        Path, typer.Option("--profile", help="cluster profile (target kubernetes)")
    ] = DEFAULT_PROFILE,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="delete without asking")] = False,
) -> None:
    """Find orphaned harness namespaces and cluster-scoped test objects; delete them after a prompt."""
    from harness.targets.kubernetes import KubernetesTarget  # the client loads only when needed
    from harness.targets.kubernetes.cleanup import delete_orphan, find_orphans

    loaded = load_profile(profile)
    if loaded.target != "kubernetes":
        raise HarnessError(
            f"profile {profile} is for the {loaded.target} target; `harness clean` "
            "is for clusters (the lab cleans up with `harness lab down`)"
        )
    api = KubernetesTarget(loaded).api
    console = Console()
    orphans = find_orphans(api)
    if not orphans:
        console.print(
            "nothing to clean: no object labelled app.kubernetes.io/managed-by=cluster-harness"
        )
        return
    console.print(f"{len(orphans)} object(s) left by harness runs:")
    for orphan in orphans:
        console.print(f"  {orphan}", highlight=False)
    if not yes and not typer.confirm("Delete them?", default=False):
        console.print("nothing deleted")
        raise typer.Exit(1)
    for orphan in orphans:
        delete_orphan(api, orphan)
        console.print(f"deleted {orphan}", highlight=False)
