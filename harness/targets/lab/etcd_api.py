"""etcd v3 through its JSON gateway, over plain http.client: one request path, one deadline.

http.client, not urllib: urllib honours proxy variables from the environment, and lab
traffic must never leave the bridge. A fresh connection per call (a local TCP handshake costs
~0.1 ms) means a VIP that moved never leaves us on a dead keep-alive socket.
Every failure becomes a `TargetError` with a short sentence; nothing else escapes.
"""

from __future__ import annotations

import base64
import http.client
import json
import time
from dataclasses import dataclass, replace
from typing import Any

from harness.targets.base import TargetError

BODY_EXCERPT = 200


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@dataclass(frozen=True)
class Status:
    """`/v3/maintenance/status` of one member."""

    member_id: int
    leader_id: int
    raft_term: int
    version: str
    errors: tuple[str, ...] = ()
    cluster_id: int = 0
    members: tuple[str, ...] | None = None
    """The names in this member's own member list (`/v3/cluster/member/list`), when asked."""


class EtcdClient:
    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port

    def _post(self, conn: http.client.HTTPConnection, path: str, body: dict[str, Any],
              deadline: float) -> dict[str, Any]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TargetError(f"etcd {self.host}:{self.port}{path}: timed out")
        conn.timeout = remaining
        if conn.sock is not None:
            conn.sock.settimeout(remaining)
        conn.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        data = response.read()
        if response.status != 200:
            excerpt = data[:BODY_EXCERPT].decode(errors="replace")
            raise TargetError(f"etcd {self.host}:{self.port}{path}: HTTP {response.status} {excerpt}")
        parsed: dict[str, Any] = json.loads(data)
        return parsed

    def call(self, requests: list[tuple[str, dict[str, Any]]], timeout_s: float) -> list[dict[str, Any]]:
        """Send requests in order on one connection, all within `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout_s)
        try:
            return [self._post(conn, path, body, deadline) for path, body in requests]
        except TargetError:
            raise
        except TimeoutError:
            raise TargetError(f"etcd {self.host}:{self.port}: no answer within {timeout_s:g} s") from None
        except (OSError, http.client.HTTPException, ValueError) as error:
            raise TargetError(f"etcd {self.host}:{self.port}: {type(error).__name__}: "
                              f"{str(error)[:BODY_EXCERPT]}") from error
        finally:
            conn.close()

    def roundtrip(self, key: str, value: str, timeout_s: float) -> None:
        """Put, then a linearizable get of the same key: the read must see the write. Then the
        key goes: callers give each roundtrip a key of its own, because probes overlap (several
        samples in flight) and two roundtrips on one key would read each other's writes."""
        _, got, _ = self.call([("/v3/kv/put", {"key": _b64(key), "value": _b64(value)}),
                               ("/v3/kv/range", {"key": _b64(key)}),
                               ("/v3/kv/deleterange", {"key": _b64(key)})], timeout_s)
        kvs = got.get("kvs") or []
        if not kvs or base64.b64decode(kvs[0].get("value", "")).decode() != value:
            raise TargetError(f"etcd {self.host}:{self.port}: read did not return the value just written")

    def status(self, timeout_s: float, *, with_members: bool = False) -> Status:
        """The member's status; with its own member list too (one more request, same connection)."""
        requests: list[tuple[str, dict[str, Any]]] = [("/v3/maintenance/status", {})]
        if with_members:
            requests.append(("/v3/cluster/member/list", {}))
        answers = self.call(requests, timeout_s)
        found = parse_status(answers[0])
        if not with_members:
            return found
        names = tuple(sorted(str(m.get("name", "")) for m in answers[1].get("members", [])))
        return replace(found, members=names)


def parse_status(data: dict[str, Any]) -> Status:
    """The gateway renders uint64 as strings; a member with no leader reports leader 0."""
    header = data.get("header", {})
    return Status(member_id=int(header.get("member_id", 0)), leader_id=int(data.get("leader", 0)),
                  raft_term=int(data.get("raftTerm", header.get("raft_term", 0))),
                  version=str(data.get("version", "")), errors=tuple(data.get("errors", [])),
                  cluster_id=int(header.get("cluster_id", 0)))
