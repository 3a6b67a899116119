"""Ceph status parsing: `ceph status -f json`, `ceph health detail -f json`, `ceph osd pool ls detail`.

The same JSON comes from the lab's `ceph` CLI and from the Rook toolbox, so one parser serves
both targets. Values only; every field is read defensively (`.get`) because Ceph omits keys that
are empty (no `checks` when healthy, no `pgs_by_state` before the first PG exists).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

ACTIVE_CLEAN = "active+clean"


class CephOutputError(ValueError):
    """A Ceph command printed something that is not the JSON we expect."""


@dataclass(frozen=True)
class HealthCheck:
    code: str
    """e.g. `OSD_DOWN`, `PG_DEGRADED`."""
    severity: str
    message: str
    muted: bool = False


@dataclass(frozen=True)
class Pool:
    name: str
    size: int
    min_size: int
    pg_num: int
    application: tuple[str, ...] = ()


@dataclass(frozen=True)
class CephStatus:
    health: str
    """HEALTH_OK, HEALTH_WARN or HEALTH_ERR."""
    checks: tuple[HealthCheck, ...]
    quorum: tuple[str, ...]
    mons: int
    osds: int
    osds_up: int
    osds_in: int
    pgs: int
    pgs_by_state: dict[str, int] = field(default_factory=dict)
    mgr_available: bool = False
    rgw_daemons: int = 0
    pools: tuple[Pool, ...] = ()
    """Filled from `ceph osd pool ls detail` when the target asked for it."""

    @property
    def pgs_active_clean(self) -> int:
        return self.pgs_by_state.get(ACTIVE_CLEAN, 0)

    @property
    def all_pgs_active_clean(self) -> bool:
        return self.pgs > 0 and self.pgs_active_clean == self.pgs

    @property
    def pgs_active(self) -> int:
        """PGs that serve I/O (degraded or not): `active` without `stale`/`peering`/`inactive`."""
        return sum(n for state, n in self.pgs_by_state.items()
                   if "active" in state.split("+") and "stale" not in state.split("+"))

    @property
    def degraded(self) -> bool:
        return any("degraded" in s.split("+") or "undersized" in s.split("+") for s in self.pgs_by_state)

    def warnings_except(self, allowed: list[str] | tuple[str, ...]) -> list[HealthCheck]:
        """Unmuted checks whose code is not in `allowed`."""
        return [c for c in self.checks if not c.muted and c.code not in allowed]

    def pool(self, name: str) -> Pool | None:
        return next((p for p in self.pools if p.name == name), None)

    def summary(self) -> str:
        states = ", ".join(f"{n} {s}" for s, n in sorted(self.pgs_by_state.items()))
        codes = ",".join(c.code for c in self.checks) or "-"
        return (f"{self.health} [{codes}] mons {len(self.quorum)}/{self.mons} in quorum, "
                f"osds {self.osds_up} up {self.osds_in} in of {self.osds}, pgs {states or 'none'}")


def _load(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise CephOutputError(f"{what} is not JSON: {text[:120]!r}") from error


def parse_checks(checks: dict[str, Any]) -> tuple[HealthCheck, ...]:
    return tuple(HealthCheck(code=code, severity=str(body.get("severity", "")),
                             message=str(body.get("summary", {}).get("message", "")),
                             muted=bool(body.get("muted", False)))
                 for code, body in sorted(checks.items()))


def parse_status(text: str) -> CephStatus:
    """`ceph status -f json` (also `ceph -s -f json` through the Rook toolbox)."""
    data = _load(text, "ceph status")
    if not isinstance(data, dict) or "health" not in data:
        raise CephOutputError("ceph status has no `health` section")
    health = data["health"]
    osdmap = data.get("osdmap", {})
    osdmap = osdmap.get("osdmap", osdmap)  # older releases nest it once more
    pgmap = data.get("pgmap", {})
    services = data.get("servicemap", {}).get("services", {})
    rgw = [k for k in services.get("rgw", {}).get("daemons", {}) if k != "summary"]
    return CephStatus(
        health=str(health.get("status", "")),
        checks=parse_checks(health.get("checks", {})),
        quorum=tuple(str(n) for n in data.get("quorum_names", [])),
        mons=int(data.get("monmap", {}).get("num_mons", 0)),
        osds=int(osdmap.get("num_osds", 0)),
        osds_up=int(osdmap.get("num_up_osds", 0)),
        osds_in=int(osdmap.get("num_in_osds", 0)),
        pgs=int(pgmap.get("num_pgs", 0)),
        pgs_by_state={str(s["state_name"]): int(s["count"]) for s in pgmap.get("pgs_by_state", [])},
        mgr_available=bool(data.get("mgrmap", {}).get("available", False)),
        rgw_daemons=len(rgw),
    )


def parse_health_detail(text: str) -> tuple[str, tuple[HealthCheck, ...], dict[str, list[str]]]:
    """`ceph health detail -f json`: status, checks, and each check's detail lines."""
    data = _load(text, "ceph health detail")
    if not isinstance(data, dict) or "status" not in data:
        raise CephOutputError("ceph health detail has no `status`")
    checks = data.get("checks", {})
    details = {code: [str(d.get("message", "")) for d in body.get("detail", [])]
               for code, body in checks.items()}
    return str(data["status"]), parse_checks(checks), details


def parse_pools(text: str) -> tuple[Pool, ...]:
    """`ceph osd pool ls detail -f json`."""
    data = _load(text, "ceph osd pool ls detail")
    if not isinstance(data, list):
        raise CephOutputError("ceph osd pool ls detail is not a list")
    return tuple(Pool(name=str(p["pool_name"]), size=int(p["size"]), min_size=int(p["min_size"]),
                      pg_num=int(p.get("pg_num", 0)),
                      application=tuple(sorted(p.get("application_metadata", {}))))
                 for p in data)


def parse_ok_to_stop(returncode: int, text: str) -> tuple[bool, str]:
    """`ceph osd ok-to-stop <ids> -f json`: exit 0 with `ok_to_stop: true`, else EBUSY and a reason."""
    if returncode == 0:
        try:
            data = json.loads(text) if text.strip() else {}
        except json.JSONDecodeError:
            data = {}
        return bool(data.get("ok_to_stop", True)), "ok to stop"
    return False, text.strip().splitlines()[-1] if text.strip() else f"exit status {returncode}"


@dataclass(frozen=True)
class RadosBench:
    """The summary of `rados bench` (write, seq or rand); its `MB/sec` are MiB/s (2^20 bytes)."""

    seconds: float
    ops: int
    op_size: int
    bandwidth_mib_s: float
    iops: float
    latency_avg_ms: float
    latency_max_ms: float


def parse_rados_bench(text: str) -> RadosBench:
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and value.strip():
            fields[key.strip()] = value.strip()
    try:
        ops = fields.get("Total writes made") or fields["Total reads made"]
        size = fields.get("Write size") or fields["Read size"]
        return RadosBench(seconds=float(fields["Total time run"]), ops=int(ops), op_size=int(size),
                          bandwidth_mib_s=float(fields["Bandwidth (MB/sec)"]),
                          iops=float(fields["Average IOPS"]),
                          latency_avg_ms=float(fields["Average Latency(s)"]) * 1000,
                          latency_max_ms=float(fields["Max latency(s)"]) * 1000)
    except (KeyError, ValueError) as error:
        raise CephOutputError(f"rados bench summary is incomplete: missing {error}") from None
