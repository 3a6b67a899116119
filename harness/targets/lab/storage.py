"""`LabStorage`: the storage contract on the lab's Ceph (CLI with `-f json`, fio's rbd engine, boto3).

Tools run where the client sits: the lab's storage client (a host of its own on the switch, see
`ceph_config.client_node`) by default, or a node's namespace when asked (`on=node`). Benchmark data
is bounded by the image or the object count, and removed on exit.
"""

from __future__ import annotations

import ipaddress
import json
import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from harness.targets.base import TargetError
from harness.targets.lab.ceph import CephCluster, run
from harness.targets.lab.ceph_config import RBD_POOL, CephPlan, cli
from harness.targets.storage import BlockVolume, Bucket, FioRun, Storage, StorageClient
from harness.workloads import cephbench, s3bench, warp
from harness.workloads.ceph_status import CephStatus, parse_ok_to_stop, parse_pools, parse_rados_bench
from harness.workloads.cephbench import ObjectTwins, Twin
from harness.workloads.fio import (
    FioJob,
    FioOutputError,
    FioResult,
    IoCompletion,
    latency_log_path,
    parse_fio,
    parse_latency_log,
    rbd_argv,
)
from harness.workloads.s3bench import S3BenchResult, S3BenchSpec
from harness.workloads.warp import WarpError, WarpResult, WarpSpec

LAB_RANGE = ipaddress.ip_network("198.18.0.0/15")
"""Lab traffic goes here and nowhere else (RFC 2544's benchmarking range)."""


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment for tools: no proxy settings, so lab traffic can only go to the lab."""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.update(NO_PROXY="*", AWS_EC2_METADATA_DISABLED="true", **extra)
    return env


class LabStorage(Storage):
    def __init__(self, plan: CephPlan) -> None:
        self.plan = plan
        self.cluster = CephCluster(plan)

    def health(self, timeout_s: float = 10.0) -> CephStatus:
        status = self.cluster.status(timeout_s=max(1, int(timeout_s)))
        pools = parse_pools(self.cluster.ceph_json("osd", "pool", "ls", "detail",
                                                   timeout_s=max(1, int(timeout_s))))
        return CephStatus(**{**status.__dict__, "pools": pools})

    def osd_nodes(self) -> list[str]:
        return [n.name for n in self.plan.nodes]

    def gateway_node(self) -> str | None:
        return self.plan.rgw.name

    def osd_ok_to_stop(self, node: str, timeout_s: float = 10.0) -> bool:
        argv = cli(self.plan, "osd", "ok-to-stop", str(self.plan.osd_id(node)), "-f", "json",
                   timeout_s=max(1, int(timeout_s)))
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s + 5, check=False)
        ok, _ = parse_ok_to_stop(done.returncode, done.stdout if done.returncode == 0 else done.stderr)
        return ok

    def client(self, on: str | None = None) -> StorageClient:
        return StorageClient(node=on, colocated_with_osd=on in self.osd_nodes())

    def _netns(self, on: str | None) -> str:
        if on is not None and on not in self.osd_nodes():
            raise TargetError(f"no lab node {on!r}")
        return on or self.plan.client.name

    @contextmanager
    def block_volume(self, size_gib: float, *, on: str | None = None) -> Iterator[BlockVolume]:
        self._netns(on)
        image = f"harness-{uuid.uuid4().hex[:8]}"
        size_mib = max(1, round(size_gib * 1024))
        run(cli(self.plan, "create", "--size", f"{size_mib}M", f"{RBD_POOL}/{image}", tool="rbd"))
        try:
            yield BlockVolume(pool=RBD_POOL, image=image, size_gib=size_gib, client_node=on,
                              ceph_conf=str(self.plan.conf_path))
        finally:
            run(cli(self.plan, "rm", "--no-progress", f"{RBD_POOL}/{image}", tool="rbd"), timeout_s=120)

    def run_fio(self, volume: BlockVolume, job: FioJob) -> FioResult:
        argv = ["ip", "netns", "exec", self._netns(volume.client_node),
                *rbd_argv(job, pool=volume.pool, image=volume.image, client_id=volume.client_id)]
        limit = job.runtime_s + job.ramp_s + 60
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=limit, check=False,
                                  env=_clean_env(CEPH_CONF=volume.ceph_conf))
        except subprocess.TimeoutExpired:
            raise TargetError(f"fio {job.name} did not finish within {limit} s (an OSD full?)") from None
        if done.returncode != 0:
            raise TargetError(f"fio {job.name} failed: {done.stderr.strip()[-300:]}")
        return parse_fio(done.stdout)

    def background_fio_refusal(self) -> str | None:
        return None

    def start_fio(self, volume: BlockVolume, job: FioJob) -> FioRun:
        argv = ["ip", "netns", "exec", self._netns(volume.client_node),
                *rbd_argv(job, pool=volume.pool, image=volume.image, client_id=volume.client_id)]
        return LabFioRun(subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                          text=True, env=_clean_env(CEPH_CONF=volume.ceph_conf)), job)

    def block_write_twin(self, *, on: str | None, total_mib: int) -> Twin:
        netns = self._netns(on)
        image = cephbench.scratch_name()
        argv = cephbench.rbd_bench_write_argv(RBD_POOL, image, total_mib=total_mib)
        run(cli(self.plan, "create", "--size", f"{total_mib}M", f"{RBD_POOL}/{image}", tool="rbd"))
        try:
            text = run(cli(self.plan, *argv[1:], tool=argv[0]), netns=netns, timeout_s=total_mib / 4 + 60)
        finally:
            run(cli(self.plan, "rm", "--no-progress", f"{RBD_POOL}/{image}", tool="rbd"), timeout_s=120)
        return Twin(command=" ".join(argv), bandwidth_mib_s=cephbench.parse_rbd_bench(text).bandwidth_mib_s,
                    where=netns)

    def object_twins(self, *, seconds: int) -> ObjectTwins:
        netns = self.plan.client.name  # where the S3 benchmark runs
        name = cephbench.scratch_name()
        write = cephbench.rados_bench_argv(RBD_POOL, "write", seconds=seconds, run_name=name)
        read = cephbench.rados_bench_argv(RBD_POOL, "seq", seconds=seconds, run_name=name)
        try:
            wrote = run(cli(self.plan, *write[1:], tool="rados"), netns=netns, timeout_s=seconds + 60)
            text = run(cli(self.plan, *read[1:], tool="rados"), netns=netns, timeout_s=seconds + 60)
        finally:
            cleanup = cephbench.rados_cleanup_argv(RBD_POOL, run_name=name)
            run(cli(self.plan, *cleanup[1:], tool="rados"), timeout_s=120)
        return ObjectTwins(
            write=Twin(command=" ".join(write), bandwidth_mib_s=parse_rados_bench(wrote).bandwidth_mib_s,
                       where=netns),
            read=Twin(command=" ".join(read), bandwidth_mib_s=parse_rados_bench(text).bandwidth_mib_s,
                      where=netns))

    def _keys(self) -> tuple[str, str]:
        try:
            keys = json.loads(self.plan.s3_keys_path.read_text())
        except (OSError, ValueError):
            raise TargetError("the lab's S3 user has no keys (is the RGW up?)") from None
        return str(keys["access_key"]), str(keys["secret_key"])

    @contextmanager
    def bucket(self) -> Iterator[Bucket]:
        import boto3  # the bucket is made from the workstation, over the lab's switch
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError, ClientError

        access_key, secret_key = self._keys()
        name = f"harness-{uuid.uuid4().hex[:8]}"
        s3 = boto3.client("s3", endpoint_url=self.plan.rgw_endpoint, aws_access_key_id=access_key,
                          aws_secret_access_key=secret_key, region_name="us-east-1",
                          config=Config(proxies={}, connect_timeout=3, read_timeout=30,
                                        retries={"max_attempts": 2}))
        try:
            s3.create_bucket(Bucket=name)
        except (BotoCoreError, ClientError) as error:
            raise TargetError(f"cannot create a bucket at {self.plan.rgw_endpoint}: "
                              f"{type(error).__name__}") from None
        try:
            yield Bucket(name=name, endpoint=self.plan.rgw_endpoint, access_key=access_key,
                         secret_key=secret_key)
        finally:
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
                objects = [{"Key": o["Key"]} for o in page.get("Contents", [])]
                if objects:
                    s3.delete_objects(Bucket=name, Delete={"Objects": objects, "Quiet": True})
            s3.delete_bucket(Bucket=name)

    def run_s3bench(self, bucket: Bucket, spec: S3BenchSpec) -> S3BenchResult:
        payload = {**spec.__dict__, "object_sizes": list(spec.object_sizes)}
        argv = ["ip", "netns", "exec", self.plan.client.name, sys.executable, "-m",
                "harness.workloads.s3bench", json.dumps(payload)]
        env = _clean_env(**dict(zip(s3bench.KEY_ENV, (bucket.access_key, bucket.secret_key), strict=True)))
        limit = 2 * spec.max_s * len(spec.object_sizes) + 60
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=limit, check=False, env=env)
        except subprocess.TimeoutExpired:
            raise TargetError(f"the S3 benchmark did not finish within {limit:g} s") from None
        if done.returncode != 0:
            raise TargetError(f"the S3 benchmark failed: {done.stderr.strip()[-300:]}")
        return S3BenchResult.from_json(done.stdout)

    def warp_refusal(self) -> str | None:
        try:
            warp.locate()
        except WarpError as error:
            return str(error)
        return None

    def run_warp(self, bucket: Bucket, spec: WarpSpec) -> WarpResult:
        """warp in the storage client's namespace, as the boto3 benchmark; its report goes to a
        file of ours (warp's stdout) and its benchdata beside it, both removed after reading."""
        host = urlsplit(spec.endpoint).hostname or ""
        if spec.endpoint != self.plan.rgw_endpoint or ipaddress.ip_address(host) not in LAB_RANGE:
            raise TargetError(f"warp is pointed only at the lab's gateway {self.plan.rgw_endpoint}, "
                              f"not {spec.endpoint}")
        try:
            binary = warp.locate()
        except WarpError as error:
            raise TargetError(str(error)) from None
        keys = dict(zip(warp.KEY_ENV, (bucket.access_key, bucket.secret_key), strict=True))
        with tempfile.TemporaryDirectory(prefix="harness-warp-") as scratch:
            report = Path(scratch) / "report.json"
            argv = ["ip", "netns", "exec", self.plan.client.name,
                    *warp.warp_argv(str(binary), spec, benchdata=Path(scratch) / spec.op)]
            limit = spec.limit_s()
            try:
                with report.open("w") as out:
                    done = subprocess.run(argv, stdout=out, stderr=subprocess.PIPE, text=True,
                                          timeout=limit, check=False, env=_clean_env(**keys), cwd=scratch)
            except subprocess.TimeoutExpired:
                raise TargetError(f"warp {spec.op} did not finish within {limit:.0f} s (with keys the "
                                  "gateway refuses, warp retries until it is stopped)") from None
            if done.returncode != 0:
                raise TargetError(f"warp {spec.op} failed: {done.stderr.strip()[-300:]}")
            try:
                return warp.parse_warp(report.read_text())
            except WarpError as error:
                raise TargetError(f"warp {spec.op}: {error}") from None


class LabFioRun(FioRun):
    """fio started by us (its PID is ours): stopped with SIGTERM, after which fio still reports."""

    def __init__(self, process: subprocess.Popen[str], job: FioJob) -> None:
        self.process, self.job = process, job

    def finish(self, timeout_s: float) -> FioResult:
        try:
            out, err = self.process.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.stop()
            out, err = self.process.communicate(timeout=10)
        if self.process.returncode != 0:
            raise TargetError(f"fio {self.job.name} failed: {err.strip()[-300:]}")
        return parse_fio(out)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def completions(self) -> tuple[IoCompletion, ...]:
        if self.job.latency_log is None or self.process.poll() is None:
            return ()
        try:
            return parse_latency_log(Path(latency_log_path(self.job.latency_log)).read_text())
        except (OSError, FioOutputError):
            return ()
