"""The storage twins on a Rook cluster: `rbd bench` and `rados bench` exec'd in the Rook toolbox.

The toolbox is a Ceph client like fio's and the S3 benchmark's pods, but it runs where Rook put
it: the twin's `where` names that node, so a reader sees when its path is not the figure's.
The pool is the profile's `storage.bench_pool` (Rook's example CephBlockPool is `replicapool`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.targets.base import TargetError
from harness.workloads import cephbench
from harness.workloads.ceph_status import CephOutputError, parse_rados_bench
from harness.workloads.cephbench import ObjectTwins, Twin

if TYPE_CHECKING:
    from harness.targets.kubernetes.storage import KubernetesStorage


def _toolbox(storage: KubernetesStorage) -> tuple[str, str]:
    pod = storage.toolbox_pod()
    if pod is None:
        raise TargetError(f"no running Rook toolbox in {storage.ceph_namespace}: the storage twins "
                          "(rbd bench, rados bench) run in it")
    return str(pod["metadata"]["name"]), str((pod.get("spec") or {}).get("nodeName") or "")


def _tool(storage: KubernetesStorage, pod: str, argv: list[str], timeout_s: float) -> str:
    done = storage.workloads.exec(storage.ceph_namespace, pod, argv, timeout_s=timeout_s)
    if done.exit_code not in (0, None):
        tail = (done.stderr or done.stdout).strip()[-300:]
        raise TargetError(f"`{' '.join(argv[:3])}` in {storage.ceph_namespace}/{pod} exited "
                          f"{done.exit_code}: {tail}")
    return done.stdout


def block_write_twin(storage: KubernetesStorage, *, total_mib: int) -> Twin:
    pod, node = _toolbox(storage)
    pool = storage.profile.storage.bench_pool
    image = cephbench.scratch_name()
    argv = cephbench.rbd_bench_write_argv(pool, image, total_mib=total_mib)
    _tool(storage, pod, ["rbd", "create", "--size", f"{total_mib}M", f"{pool}/{image}"], 60)
    try:
        text = _tool(storage, pod, argv, total_mib / 4 + 60)
    finally:
        _tool(storage, pod, ["rbd", "rm", "--no-progress", f"{pool}/{image}"], 120)
    try:
        rate = cephbench.parse_rbd_bench(text).bandwidth_mib_s
    except CephOutputError as error:
        raise TargetError(f"rbd bench in {pod}: {error}") from None
    return Twin(command=" ".join(argv), bandwidth_mib_s=rate, where=node or pod)


def object_twins(storage: KubernetesStorage, *, seconds: int) -> ObjectTwins:
    pod, node = _toolbox(storage)
    pool = storage.profile.storage.bench_pool
    name = cephbench.scratch_name()
    write = cephbench.rados_bench_argv(pool, "write", seconds=seconds, run_name=name)
    read = cephbench.rados_bench_argv(pool, "seq", seconds=seconds, run_name=name)
    try:
        wrote = _tool(storage, pod, write, seconds + 60)
        text = _tool(storage, pod, read, seconds + 60)
    finally:
        _tool(storage, pod, cephbench.rados_cleanup_argv(pool, run_name=name), 120)
    try:
        write_rate, read_rate = (parse_rados_bench(t).bandwidth_mib_s for t in (wrote, text))
    except CephOutputError as error:
        raise TargetError(f"rados bench in {pod}: {error}") from None
    return ObjectTwins(write=Twin(command=" ".join(write), bandwidth_mib_s=write_rate, where=node or pod),
                       read=Twin(command=" ".join(read), bandwidth_mib_s=read_rate, where=node or pod))
