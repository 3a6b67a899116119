"""`harness lab up|down|status`: the embedded lab on this machine (needs root)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.status import Status
from rich.table import Table

from harness.cli.defects_cmd import defects
from harness.profile import load_profile
from harness.targets.lab import Lab, LabStatus, Step
from harness.targets.lab.config import make_plan
from harness.targets.lab.target import LabControlPlane

ProfileOption = Annotated[Path, typer.Option("--profile", help="lab profile YAML")]
DEFAULT_PROFILE = Path("profiles/lab.yaml")


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="The embedded lab: the cluster's shape in network namespaces (root).",
                        no_args_is_help=True)
    group.command("up")(up)
    group.command("down")(down)
    group.command("status")(status)
    group.command("defects")(defects)
    app.add_typer(group, name="lab")


def _lab(profile: Path) -> Lab:
    return Lab(make_plan(load_profile(profile)))


def _with_progress(lab: Lab, console: Console, spinner: Status) -> Lab:
    """The same lab, printing each step of `up` with its timing (the library itself is quiet)."""

    def show(step: Step) -> None:
        if step.seconds is None:  # started
            spinner.update(f"{step.name} ...")
            spinner.start()
            return
        spinner.stop()
        console.print(f"  [green]ok[/] {step.name:<22} {step.seconds:6.2f} s  [dim]{step.detail}[/]")
    return Lab(lab.plan, progress=show)


def _with_steps_shown(profile: Path, action: Callable[[Lab], float]) -> tuple[Lab, float]:
    """`action` (`Lab.up`, `Lab.down`) on the profile's lab, each step printed as it goes."""
    console = Console()
    spinner = console.status("")
    lab = _with_progress(_lab(profile), console, spinner)
    try:
        return lab, action(lab)
    finally:
        spinner.stop()  # a failed step must not leave the spinner running over the error line


def up(profile: ProfileOption = DEFAULT_PROFILE) -> None:
    """Bring the lab up, or finish an earlier half-done `up` (idempotent)."""
    lab, seconds = _with_steps_shown(profile, Lab.up)
    Console().print(f"[bold green]lab up[/] in {seconds:.1f} s: VIP {lab.plan.vip}:{lab.plan.port}")


def down(profile: ProfileOption = DEFAULT_PROFILE) -> None:
    """Stop every lab process and remove namespaces, bridge and state (idempotent); another lab
    up on the same switch and node names (say, the Kubernetes lab's) goes too."""
    _, seconds = _with_steps_shown(profile, Lab.down)
    Console().print(f"[bold]lab down[/] in {seconds:.1f} s: nothing left")


def status(profile: ProfileOption = DEFAULT_PROFILE) -> None:
    """What runs: bridge, nodes, services with PIDs, etcd members and the VIP holder."""
    console = Console()
    lab = _lab(profile)
    state = lab.status()
    if not state.anything:
        console.print("lab is [bold]down[/] (`harness lab up` brings it up)")
        return
    _show(console, lab, state)


def _show(console: Console, lab: Lab, state: LabStatus) -> None:
    word = "[bold green]up[/]" if state.running else "[bold yellow]partly up[/]"
    console.print(f"lab is {word}; bridge {lab.plan.bridge}: {'present' if state.bridge else 'missing'}")
    table = Table("node", "address", "namespace", "link", "services", box=None, pad_edge=False)
    for node in state.nodes:
        services = ", ".join(f"{s} {pid}" if pid else f"{s} [red]down[/]" for s, pid in node.services.items())
        table.add_row(node.name, lab.plan.node(node.name).address, "yes" if node.namespace else "[red]no[/]",
                      "up" if node.link_up else "[red]down[/]", services or "-")
    console.print(table)
    controlplane = LabControlPlane(lab.plan, lab)
    for member in controlplane.members(timeout_s=0.5):
        health = "[green]healthy[/]" if member.healthy else f"[red]unhealthy[/] {member.error or ''}"
        console.print(f"etcd {member.name}: {health}{' [bold]leader[/]' if member.is_leader else ''}")
    console.print(f"VIP {controlplane.endpoint} held by {controlplane.vip_holder() or '[red]nobody[/]'}")
