"""Which images the selected tests need, and the no-op each runs to prove it starts on a node.

Each command runs the tool the harness will use (so a missing binary shows) and prints the
architecture or version into the log (so an `exec format error` names a wrong-arch image).
"""

from __future__ import annotations

from harness.errors import HarnessError
from harness.profile import Profile
from harness.targets.kubernetes.plan import PlannedWrite
from harness.targets.kubernetes.workloads import PreflightProblem, preflight_pods

SKIP_HINT = "set `kubernetes.preflight: false` in the profile to skip this check"


def preflight_images(profile: Profile, needs: set[str]) -> dict[str, list[str]]:
    """image -> command, for the needs (`nodes`, `network`, `storage`, `s3`, `s3-warp`,
    `partition`, `kill`) given."""
    images = profile.images
    by_need = {
        "nodes": {images.debug: ["uname", "-m"]},
        "api": {images.debug: ["uname", "-m"]},  # the pod-startup pods run it
        "network": {images.agnhost: ["/agnhost", "help"], images.iperf3: ["iperf3", "--version"]},
        "storage": {images.fio: ["fio", "--version"]},
        # The S3 client of the session's depth only: the acceptance run measures with boto3, a
        # full-depth run with warp; a quick run never pulls warp's image, nor a full one boto3's.
        "s3": {images.s3bench: ["python3", "-c", "import boto3"]},
        "s3-warp": {images.warp: ["/warp", "--version"]},
        "partition": {images.netshoot: ["nft", "--version"]},
        "kill": {images.debug: ["uname", "-m"]},  # the kill pod's shell and tools
    }
    if images.sockperf:  # unset, the round trips skip themselves
        by_need["network"][images.sockperf] = ["sockperf", "--version"]
    if not profile.storage.enabled:  # the storage tests skip themselves
        for need in ("storage", "s3", "s3-warp"):
            by_need.pop(need)
    found: dict[str, list[str]] = {}
    for need in sorted(needs):
        found.update(by_need.get(need, {}))
    return found


def preflight_error(problems: list[PreflightProblem], pairs: int) -> HarnessError:
    lines = "\n".join(f"  {problem}" for problem in problems)
    return HarnessError(f"{len(problems)} of {pairs} image/node pairs cannot run ({SKIP_HINT}):\n{lines}")


def planned_preflight(images: dict[str, list[str]], *, nodes: list[str], run_id: str,
                      namespace: str) -> list[PlannedWrite]:
    """What a dry run shows for the preflight: every pod created, then every pod deleted."""
    pods = preflight_pods(run_id=run_id, nodes=nodes, images=images)
    return [
        *(PlannedWrite("create", "Pod", body["metadata"]["name"], namespace, body,
                       f"preflight: can {image} run on {node}?") for node, image, body in pods),
        *(PlannedWrite("delete", "Pod", body["metadata"]["name"], namespace) for _, _, body in pods),
    ]
