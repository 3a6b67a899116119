"""A crash of a Talos service: SIGKILL of its process from a privileged pod in the node's PID
namespace, since Talos' API only stops services gracefully (`talosctl service etcd stop` is
SIGTERM, and etcd hands its leadership over before it exits).

Why the process can be seen and killed from a pod: machined runs etcd itself (not as a
Kubernetes pod) as a containerd task in the `system` namespace, `/usr/local/bin/etcd <args>` in
a PID namespace of its own (the container shares only the host's network namespace), restarted
by machined's restart runner (`restart.Forever`, 5 s between a run ending and the next). Source
(Talos' code, as stored by the search index; no Talos release was pinned or run here):
`internal/app/machined/pkg/system/services/etcd.go` (`Runner`: `ProcessArgs`,
`runner.WithNamespace(constants.SystemContainerdNamespace)`, `oci.WithHostNamespace(
specs.NetworkNamespace)`, `restart.WithType(restart.Forever)`) and
`internal/app/machined/pkg/system/runner/restart/restart.go` (`RestartInterval: 5 * time.Second`).
A child PID namespace is visible from the host's, so a `hostPID` pod sees etcd in its /proc.

The pod finds the one process whose `comm` and argv[0]'s basename are both the service's
executable (never a pattern: `etcdctl` or an apiserver with `--etcd-servers` in its arguments do
not match), refuses when there is not exactly one, announces its PID and the whole second it
will kill at, kills at that second with `kill -9` (after checking the PID is still etcd), and says
so. The harness stamps the kill at the announced second (the node's clock, NTP-synced by Talos).

Caveats, honestly: this was built against Talos' source and proven against fakes, never on a real
Talos node; machined, not the harness, restarts etcd (after its 5 s restart interval, not after a
scenario's `duration_s`), so the undo only waits for `talosctl service etcd` to say Running and
healthy within `RESTART_BOUND_S`; etcd's health check runs 5 s after start and then every 20 s,
so "healthy" is seen up to ~30 s after the restart; and an admission policy that forbids
privileged host-PID pods refuses the kill pod before anything is killed.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from harness.targets.kubernetes import linkscripts, manifests
from harness.targets.kubernetes.api import KubeAPI
from harness.targets.kubernetes.linkpods import read_until
from harness.targets.kubernetes.settings import WaitSettings

Obj = manifests.Obj

KILL_MARK = "harness-kill:"
KILLED = re.compile(rf"^{KILL_MARK} killed (\d+) at (\d+)$", re.MULTILINE)
"""The pod's last word on success: the PID it killed and the second it did."""
EXECUTABLES = {"etcd": "etcd"}
"""Talos service -> the executable name its process has (comm and argv[0]); only etcd is built."""
RESTART_BOUND_S = 60.0
"""How long the undo waits for machined's restart: 5 s interval, etcd's start, and its first
health check 5 s after it (then every 20 s)."""
PROC_ROOT_ENV = "HARNESS_PROC_ROOT"
"""Where the script reads processes (unset in the pod: /proc, the node's with hostPID); tests
point it at a directory of their own so nothing on the test machine is ever looked at."""


def kill_script(executable: str) -> str:
    """Find the one `executable` process, announce it and the next whole second, SIGKILL it then."""
    failed = f"{KILL_MARK} {linkscripts.FAILED}:"
    return "\n".join([
        f'proc="${{{PROC_ROOT_ENV}:-/proc}}"',
        'found=""',
        'for dir in "$proc"/[0-9]*; do',
        f'  [ "$(cat "$dir/comm" 2>/dev/null)" = "{executable}" ] || continue',
        "  argv0=$(tr '\\000' '\\n' < \"$dir/cmdline\" 2>/dev/null | head -n 1)",
        f'  [ "${{argv0##*/}}" = "{executable}" ] && found="$found ${{dir##*/}}"',
        "done",
        "set -- $found",
        f'[ "$#" -eq 1 ] || {{ echo "{failed} $# processes run {executable} on this node'
        f'${{found:+ (pids$found)}}: not exactly one, nothing killed"; exit 2; }}',
        'pid="$1"',
        "at=$(( $(date +%s) + 1 ))",
        f'echo "{KILL_MARK} {executable} is pid $pid, SIGKILL at $at"',
        'while [ "$(date +%s)" -lt "$at" ]; do sleep 0.05; done',
        f'[ "$(cat "$proc/$pid/comm" 2>/dev/null)" = "{executable}" ] || '
        f'{{ echo "{failed} pid $pid is no longer {executable}, nothing killed"; exit 3; }}',
        f'kill -9 "$pid" || {{ echo "{failed} kill -9 $pid was refused"; exit 4; }}',
        f'echo "{KILL_MARK} killed $pid at $at"',
    ])


def kill_pod(node: str, *, service: str, run_id: str, image: str) -> Obj:
    return manifests.pod(
        manifests.object_name("kill", service, node), run_id=run_id, image=image,
        command=["sh", "-c", kill_script(EXECUTABLES[service])], node=node, role="kill",
        privileged=True, host_namespaces=True)


@dataclass
class KillPods:
    api: Callable[[], KubeAPI]
    namespace: Callable[[], str]
    run_id: Callable[[], str]
    image: str
    wait: Callable[[], WaitSettings] = WaitSettings
    sleep: Callable[[float], None] = time.sleep

    def body(self, node: str, service: str) -> Obj:
        return kill_pod(node, service=service, run_id=self.run_id(), image=self.image)

    def kill(self, node: str, service: str) -> tuple[float, int]:
        """(the second the process was killed, its PID), once the pod said it did; the pod,
        which has ended, is deleted."""
        body = self.body(node, service)
        name = str(body["metadata"]["name"])
        self.api().create_pod(self.namespace(), body)
        said = read_until(self.api(), self.namespace(), name, mark=KILL_MARK,
                          done=lambda log: KILLED.search(log) is not None,
                          wait=self.wait(), sleep=self.sleep)
        self.api().delete_pod(self.namespace(), name)
        found = KILLED.search(said)
        assert found is not None  # read_until returned on this very match
        return float(found.group(2)), int(found.group(1))


def refusal(service: str | None) -> str | None:
    if service in EXECUTABLES:
        return None
    return (f"kill {service}: the crash is built for {', '.join(EXECUTABLES)} only (its process "
            "is found by its exact executable name); use action stop for a graceful stop")
