"""`harness profile check PATH`: validate a profile and show the cluster it describes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from harness.profile import Profile, load_profile


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Cluster profiles: what the cluster looks like and what it must do.",
                        no_args_is_help=True)
    group.command("check")(check)
    app.add_typer(group, name="profile")


def check(path: Annotated[Path, typer.Argument(help="profile YAML, e.g. profiles/lab.yaml")]) -> None:
    """Validate a profile: list every problem with its path, or summarise the cluster."""
    show_summary(load_profile(path), Console())


def show_summary(profile: Profile, console: Console) -> None:
    console.print(f"[bold]{profile.name}[/]: target [cyan]{profile.target}[/], "
                  f"{len(profile.nodes)} nodes, quorum {profile.quorum} of "
                  f"{len(profile.controlplane_nodes())} control-plane members")
    nodes = Table("node", "address", "roles", "arch", box=None, pad_edge=False)
    for node in profile.nodes:
        nodes.add_row(node.name, str(node.address), ", ".join(node.roles), node.arch)
    console.print(nodes)
    pool = profile.loadbalancer_pool.addresses()
    cp = profile.controlplane
    console.print(f"control plane  {cp.endpoint}:{cp.port} (shared VIP)")
    console.print(f"LB pool        {pool[0]} - {pool[-1]} ({len(pool)} addresses)")
    sw = profile.switch
    console.print(f"switch         {sw.link_mbit} Mbit/s links, goodput ceiling {sw.goodput_mbit:g} "
                  f"Mbit/s, MTU {sw.mtu}")
    storage = profile.storage
    if storage.enabled:
        rep = storage.replication
        console.print(f"storage        Ceph in {storage.ceph_namespace}: block "
                      f"{storage.block_storage_class}, buckets {storage.bucket_storage_class}, "
                      f"size {rep.size} / min_size {rep.min_size}")
    else:
        console.print("storage        not tested")
    expect = profile.expectations
    console.print(f"expectations   API outage <= {expect.api_unavailable_on_power_loss_max_s:g} s on "
                  f"VIP-holder power loss, <= {expect.api_unavailable_on_leader_loss_max_s:g} s on "
                  f"leader loss; L2 failover <= {expect.l2_failover_max_s:g} s; throughput >= "
                  f"{expect.min_link_fraction:.0%} of the link")
    if profile.target == "lab":
        defects = ", ".join(profile.lab.defects) or "none"
        console.print(f"lab            bridge {profile.lab.bridge}, state in {profile.lab.state_dir}, "
                      f"seeded defects: {defects}")
