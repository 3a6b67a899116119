"""The S3 benchmark's phases against an in-memory bucket: GET reads only what PUT wrote (a PUT
phase cut short by its time bound must not turn into GET errors), and everything is removed."""

from __future__ import annotations

from typing import Any

import pytest

from harness.workloads import s3bench
from harness.workloads.s3bench import S3BenchSpec


class Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def read(self) -> bytes:
        return self.data


class FakeBucket:
    """put_object stores; after `accept` PUTs the bucket refuses (a gateway falling over)."""

    def __init__(self, accept: int) -> None:
        self.objects: dict[str, bytes] = {}
        self.accept = accept
        self.puts = 0
        self.gets: list[str] = []

    def put_object(self, *, Bucket: str, Key: str, Body: bytes) -> None:  # boto3 spells them so
        self.puts += 1
        if self.puts > self.accept:
            raise ConnectionError("gateway gone")
        self.objects[Key] = Body

    def get_object(self, *, Bucket: str, Key: str) -> dict[str, Any]:
        self.gets.append(Key)
        return {"Body": Body(self.objects[Key])}

    def delete_objects(self, *, Bucket: str, Delete: dict[str, Any]) -> None:
        for item in Delete["Objects"]:
            self.objects.pop(item["Key"], None)


def test_get_reads_only_the_objects_put_wrote(monkeypatch: pytest.MonkeyPatch) -> None:
    bucket = FakeBucket(accept=2 + 5)  # the warm-up's two, then five of the ten measured PUTs
    monkeypatch.setattr(s3bench, "_client", lambda *_: bucket)
    spec = S3BenchSpec(endpoint="http://198.18.0.14:7480", bucket="b", object_sizes=(1024,),
                       objects=10, threads=2, max_s=5)
    result = s3bench.run(spec, access_key="a", secret_key="s")
    put, get = result.phase("put", 1024), result.phase("get", 1024)
    assert (put.ops, put.errors) == (5, 5) and "gateway gone" in put.first_error
    assert (get.ops, get.errors) == (5, 0)
    assert len(bucket.gets) == 5 and all(k.startswith("bench/1024/") for k in bucket.gets)
    assert bucket.objects == {}
