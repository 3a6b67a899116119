"""Storage rooflines: the throughput the switch allows, given replication and where the client sits.

On a 1 Gbit/s switch with NVMe behind it, the links set the ceiling, not the disks. Every link is
full duplex: a node's uplink (what it sends) and downlink (what it receives) each carry at most
`B` = the link's TCP goodput (941 Mbit/s = 112.2 MiB/s on 1GbE). A workload moving `X` MiB/s of
payload puts `load(link) * X` on each link; the ceiling is `B / max(load)`, and the link with the
largest load is the bottleneck.

Model (Ceph with `n` OSD nodes, one OSD each, pool `size` = r, primaries spread evenly; the
replicas of an object go to r-1 of the other n-1 nodes, evenly):

- **Block read** (client C reads from each object's primary P): P -> C. Client on its own link:
  `load(C down) = 1`, ceiling `B`. Client on a node with an OSD: 1/n of the reads are local,
  `load = 1 - 1/n`, ceiling `B * n/(n-1)`.
- **Block write** (C -> P, then P -> each replica): `load(C up) = 1 - c/n + c*(r-1)/n` (c = 1 when
  C hosts an OSD: it is then also a primary sending copies); each other uplink `(r-1)/n`; each
  downlink `r/n` (data + copies). Own link: ceiling `B` (n=4, r=3: downlinks at 0.75). On an
  OSD node: `B / (1 + (r-2)/n)` = 0.8 B for n=4, r=3.
- **S3 PUT** through a gateway G on an OSD node (client S on its own link): S -> G, then G is the
  RADOS writer. `load(G down) = 1 + (r-1)/n` (the payload plus the copies G stores as a replica),
  `load(G up) = (1 - 1/n) + (r-1)/n`. n=4, r=3: G's downlink at 1.5, ceiling `B / 1.5` = 0.67 B.
  (LAB-NOTES measured 3.85x the payload on the network per new key: 1 + 0.75 + 2 = 3.75 plus
  metadata, as here.)
- **S3 GET**: P -> G (3/4 of it over the links), G -> S: `load(G up) = load(S down) = 1`, ceiling `B`.

`link_loads` computes the loads by summing the flows, so the closed forms above are tested
against it, and other shapes (n=3, size 2, a colocated S3 client) need no new formula.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

MIB = 1 << 20
CLIENT = "client"


def link_mib_s(goodput_mbit: float) -> float:
    """TCP goodput of one link direction in MiB/s (941 Mbit/s -> 112.2 MiB/s)."""
    return goodput_mbit * 1e6 / 8 / MIB


@dataclass(frozen=True)
class Ceiling:
    mib_s: float
    bottleneck: str
    """The most loaded link, e.g. `client up`, `osd3 down`."""
    load: float
    """Payload multiple that link carries (the ceiling is link / load)."""


def link_loads(*, op: str, osd_nodes: int, size: int, client_osd: int | None = None,
               gateway_osd: int | None = None, names: tuple[str, ...] = ()) -> dict[str, float]:
    """Per-link load (`<host> up|down`) per unit of payload for `op` in {read, write}.

    `client_osd`: the client runs on that OSD node (None: a host of its own). `gateway_osd`: an
    object gateway on that OSD node sits between client and RADOS (S3). `names`: the OSD
    nodes' names for the link labels (default `osd<i>`).
    """
    if osd_nodes < 1 or not 1 <= size <= osd_nodes:
        raise ValueError(f"replication size {size} needs 1..{osd_nodes} OSD nodes")
    if op not in ("read", "write"):
        raise ValueError(f"op must be read or write, not {op!r}")
    loads: dict[str, float] = defaultdict(float)

    def host(index: int | None) -> str:
        if index is None:
            return CLIENT
        return names[index] if index < len(names) else f"osd{index}"

    def flow(src: str, dst: str, amount: float) -> None:
        if src != dst and amount:
            loads[f"{src} up"] += amount
            loads[f"{dst} down"] += amount

    client = host(client_osd)
    rados_client = client if gateway_osd is None else host(gateway_osd)
    if gateway_osd is not None:  # the S3 leg between the client and the gateway
        flow(*((client, rados_client) if op == "write" else (rados_client, client)), 1.0)
    share = 1.0 / osd_nodes
    for primary in range(osd_nodes):
        p = host(primary)
        if op == "read":
            flow(p, rados_client, share)
            continue
        flow(rados_client, p, share)
        if size > 1:
            for replica in range(osd_nodes):
                if replica != primary:
                    flow(p, host(replica), share * (size - 1) / (osd_nodes - 1))
    return dict(loads)


def ceiling(*, link: float, op: str, osd_nodes: int, size: int, client_osd: int | None = None,
            gateway_osd: int | None = None, names: tuple[str, ...] = ()) -> Ceiling:
    loads = link_loads(op=op, osd_nodes=osd_nodes, size=size, client_osd=client_osd,
                       gateway_osd=gateway_osd, names=names)
    bottleneck = max(sorted(loads), key=lambda name: loads[name])
    return Ceiling(mib_s=link / loads[bottleneck], bottleneck=bottleneck, load=loads[bottleneck])


@dataclass(frozen=True)
class StorageRoofline:
    """The ceilings of one cluster shape: block read/write from a client, S3 PUT/GET via a gateway."""

    link: float
    """MiB/s per link direction."""
    osd_nodes: int
    size: int
    client_osd: int | None = None
    """The block client's OSD node index, None when it has a link of its own."""
    gateway_osd: int = 0
    names: tuple[str, ...] = ()
    """OSD node names, for the bottleneck's label."""

    def block_read(self) -> Ceiling:
        return ceiling(link=self.link, op="read", osd_nodes=self.osd_nodes, size=self.size,
                       client_osd=self.client_osd, names=self.names)

    def block_write(self) -> Ceiling:
        return ceiling(link=self.link, op="write", osd_nodes=self.osd_nodes, size=self.size,
                       client_osd=self.client_osd, names=self.names)

    def object_put(self) -> Ceiling:
        return ceiling(link=self.link, op="write", osd_nodes=self.osd_nodes, size=self.size,
                       gateway_osd=self.gateway_osd, names=self.names)

    def object_get(self) -> Ceiling:
        return ceiling(link=self.link, op="read", osd_nodes=self.osd_nodes, size=self.size,
                       gateway_osd=self.gateway_osd, names=self.names)
