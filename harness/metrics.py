"""The metric catalogue: every figure a probe, an observation or a suite yields, named once.

A spec says what a figure is called, its unit, which way is better, what yields it, and whether
the report draws a trend of it. Probes (`harness.probes.Availability`), the chaos runner, scenario
validation, the run file's records and the report all read names from here, so a figure cannot
be spelled two ways.

Figures of a chaos observation are named `<observation>.<name>` in expectations
(`api.longest_unavailable_s`) and `chaos.<observation>.<name>` as trended measurements; figures
of events are `events.<kind>.<name>` with `_` for `-` in the kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from harness.workloads.fio import RAND_READ_4K, RAND_WRITE_4K, SEQ_READ_4M, SEQ_WRITE_4M

Source = Literal["availability", "value", "storage.rbd_write", "storage.health", "events", "suite"]
"""What yields a figure: every sampled probe (`availability`), probes that report a value (VIP
holder, leader: `value`), one observation kind by name, the target's events, or a suite."""

Clock = Literal["fault", "undo"]
"""Where a figure's seconds start: the first fault of the method, or the power-on that undid it."""

PLAIN_PROBES = ("api.roundtrip", "storage.rbd_write")
"""Observation probes that report no value, so `changes` does not apply to them."""

CHAOS_PREFIX = "chaos."
EVENTS_PREFIX = "events."


@dataclass(frozen=True)
class MetricSpec:
    name: str
    """Within its source: `longest_unavailable_s`; a suite's spec holds the full dotted name."""
    unit: str
    higher_is_better: bool
    source: Source
    trended: bool
    """Written as a measurement series the report trends; the rest stay in their timeline."""
    clock: Clock | None = None


def _spec(name: str, unit: str, higher: bool, source: Source, *, trended: bool = False,
          clock: Clock | None = None) -> MetricSpec:
    return MetricSpec(name, unit, higher, source, trended, clock)


# Derived from any sampled timeline (harness/probes/windows.py defines each).
LONGEST_UNAVAILABLE = _spec("longest_unavailable_s", "s", False, "availability", trended=True,
                            clock="fault")
AVAILABILITY_PCT = _spec("availability_pct", "%", True, "availability", trended=True)
TIME_TO_FIRST_FAILURE = _spec("time_to_first_failure_s", "s", False, "availability", trended=True,
                              clock="fault")
TIME_TO_RECOVERY = _spec("time_to_recovery_s", "s", False, "availability", trended=True,
                         clock="fault")
WINDOWS = _spec("windows", "count", False, "availability")
SAMPLES = _spec("samples", "count", True, "availability")
FAILED_SAMPLES = _spec("failed_samples", "count", False, "availability")
RECOVERED = _spec("recovered", "bool", True, "availability")  # 1.0 when every window closed
AVAILABILITY = (LONGEST_UNAVAILABLE, AVAILABILITY_PCT, TIME_TO_FIRST_FAILURE, TIME_TO_RECOVERY,
                WINDOWS, SAMPLES, FAILED_SAMPLES, RECOVERED)

CHANGES = _spec("changes", "count", False, "value")  # how often the value moved (VIP moves)

# Read from the storage timelines (harness/chaos/io_metrics.py defines each).
COMPLETED = _spec("completed", "count", True, "storage.rbd_write")
WRITTEN_MIB = _spec("mib", "MiB", True, "storage.rbd_write")
LONGEST_STALL = _spec("longest_stall_s", "s", False, "storage.rbd_write", trended=True,
                      clock="fault")
LATENCY_P50_STEADY = _spec("latency_p50_steady_ms", "ms", False, "storage.rbd_write", trended=True)
LATENCY_P99 = _spec("latency_p99_ms", "ms", False, "storage.rbd_write", trended=True)
LATENCY_MAX = _spec("latency_max_ms", "ms", False, "storage.rbd_write", trended=True)
LATENCY_SPIKE = _spec("latency_spike", "x", False, "storage.rbd_write", trended=True)
CONTINUED_MIB = _spec("continued_mib", "MiB", True, "storage.rbd_write", trended=True)
RBD_WRITE = (COMPLETED, WRITTEN_MIB, LONGEST_STALL, LATENCY_P50_STEADY, LATENCY_P99, LATENCY_MAX,
             LATENCY_SPIKE, CONTINUED_MIB)

DEGRADED_SAMPLES = _spec("degraded_samples", "count", False, "storage.health")
OK_AFTER_POWER_ON = _spec("ok_after_power_on_s", "s", False, "storage.health", trended=True,
                          clock="undo")
STORAGE_HEALTH = (DEGRADED_SAMPLES, OK_AFTER_POWER_ON)

EVENT_COUNT = _spec("count", "count", False, "events")
EVENT_AFTER_FAULT = _spec("after_fault_s", "s", False, "events", clock="fault")
EVENT_FIGURES = (EVENT_COUNT, EVENT_AFTER_FAULT)

# What the network suite records and the report's throughput matrix reads.
NODE_TO_NODE_GOODPUT = _spec("network.node_to_node.goodput", "Mbit/s", True, "suite", trended=True)
POD_TO_POD_GOODPUT = _spec("network.pod_to_pod.goodput", "Mbit/s", True, "suite", trended=True)
GOODPUT = {"node_to_node": NODE_TO_NODE_GOODPUT, "pod_to_pod": POD_TO_POD_GOODPUT}
"""By the suite's path kind."""

# What the LB suite records of its locust run (harness/workloads/http_load.py says how each is read).
LB_RPS = _spec("network.lb.rps", "req/s", True, "suite", trended=True)
"""Achieved: requests over locust's first-to-last request; its samples are locust's per-second counts."""
LB_OFFERED_RPS = _spec("network.lb.offered_rps", "req/s", True, "suite")
"""users x per-user rate (locust's constant_throughput): what the generator was asked to send."""
LB_RPS_CV = _spec("network.lb.rps_cv", "fraction", False, "suite")
"""Spread of the per-second counts (stdev / mean) within one run."""
LB_GENERATOR_BUSY = _spec("network.lb.generator_busy", "fraction", False, "suite")
"""The busiest load process's CPU time over its wall time during the load."""
LB_GENERATOR_DEMAND = _spec("network.lb.generator_demand", "fraction", False, "suite")
"""The most a load process ran or waited for a CPU (run-queue delay) over its wall time."""
LB_GENERATOR_LIMITED = _spec("network.lb.generator_limited", "bool", False, "suite")
"""1.0 when the generator, not the LB, set the rate (short of offered, a load process's demand >= 90 %)."""
LB_LATENCY = {name: _spec(f"network.lb.latency.{name}", "ms", False, "suite")
              for name in ("p50", "p95", "p99", "mean")}
"""Percentiles at locust's histogram resolution (1 ms under 100 ms); the mean exact."""
LB_BACKEND_SHARE = _spec("network.lb.backend_share", "fraction", True, "suite")


def _suite(name: str, unit: str, higher: bool, *, trended: bool = True) -> MetricSpec:
    return _spec(name, unit, higher, "suite", trended=trended)


PATH_KINDS = ("node_to_node", "pod_to_pod")
"""The network paths the throughput pairs measure (`network.<kind>.*`)."""
NETPERF_PATHS = (*PATH_KINDS, "pod_to_service")
"""The paths the netperf suite measures, k8s-netperf's three: pod to a ClusterIP service as well."""


def _by_path(figure: str, unit: str, higher: bool, *, trended: bool = True,
             kinds: tuple[str, ...] = PATH_KINDS) -> dict[str, MetricSpec]:
    return {kind: _suite(f"network.{kind}.{figure}", unit, higher, trended=trended) for kind in kinds}


# suites/controlplane and suites/api: the API through the VIP, alone and under load.
API_ROUNDTRIP_P50 = _suite("api.roundtrip.p50", "ms", False)
API_ROUNDTRIP_P99 = _suite("api.roundtrip.p99", "ms", False)
API_LOAD_RATE = _suite("api.load.calls_per_s", "1/s", True)
API_LOAD_P50 = _suite("api.load.p50", "ms", False)
API_LOAD_P99 = _suite("api.load.p99", "ms", False)
POD_STARTUP_MAX = _suite("pod.startup.max", "s", False)
POD_STARTUP_P50 = _suite("pod.startup.p50", "s", False)

# suites/network: throughput pairs (GOODPUT above), policies, and the netperf figures.
RETRANSMITS = _by_path("retransmits", "count", False, trended=False)
TWIN_GOODPUT = _by_path("twin_goodput", "Mbit/s", True)
"""iperf3 across the twin path next to a pair's run: what the machine carried then."""
POLICY_MATRIX_SECONDS = _suite("network.policy_matrix.seconds", "s", False)
TCP_STREAM_GOODPUT = _by_path("tcp_stream.goodput", "Mbit/s", True, kinds=NETPERF_PATHS)
TCP_STREAM_RETRANSMITS = _by_path("tcp_stream.retransmits", "count", False, trended=False,
                                  kinds=NETPERF_PATHS)
UDP_STREAM_GOODPUT = _by_path("udp_stream.goodput", "Mbit/s", True, kinds=NETPERF_PATHS)
UDP_STREAM_LOSS = _by_path("udp_stream.loss", "%", False, kinds=NETPERF_PATHS)
UDP_STREAM_JITTER = _by_path("udp_stream.jitter", "ms", False, kinds=NETPERF_PATHS)
ROUND_TRIP_P50 = _by_path("round_trip.p50", "ms", False, kinds=NETPERF_PATHS)
ROUND_TRIP_P99 = _by_path("round_trip.p99", "ms", False, kinds=NETPERF_PATHS)
ROUND_TRIP_RATE = _by_path("round_trip.rate", "1/s", True, kinds=NETPERF_PATHS)

# suites/storage/test_block.py: fio through librbd, by job (harness.workloads.fio names them).
BLOCK_JOBS = tuple(job.name for job in (SEQ_WRITE_4M, SEQ_READ_4M, RAND_WRITE_4K, RAND_READ_4K))
BLOCK_BANDWIDTH = {job: _suite(f"storage.block.{job}.bandwidth", "MiB/s", True) for job in BLOCK_JOBS}
BLOCK_IOPS = {job: _suite(f"storage.block.{job}.iops", "IOPS", True) for job in BLOCK_JOBS}
BLOCK_CLAT_P99 = {job: _suite(f"storage.block.{job}.clat_p99", "ms", False) for job in BLOCK_JOBS}
BLOCK_WRITE_TWIN = _suite(f"storage.block.{SEQ_WRITE_4M.name}.twin", "MiB/s", True)
"""`rbd bench` writing new objects from the same client, next to the fio write."""

# suites/storage/test_object.py: S3 through the gateway, by operation.
S3_OPS = ("put", "get", "mixed")
S3_THROUGHPUT = {op: _suite(f"storage.s3.{op}.throughput", "MiB/s", True) for op in S3_OPS}
S3_RATE = {op: _suite(f"storage.s3.{op}.ops", "ops/s", True) for op in S3_OPS}
S3_LATENCY_P99 = {op: _suite(f"storage.s3.{op}.latency_p99", "ms", False) for op in S3_OPS}
S3_ERRORS = {op: _suite(f"storage.s3.{op}.errors", "count", False) for op in S3_OPS}
S3_TWIN = {op: _suite(f"storage.s3.{op}.twin", "MiB/s", True) for op in ("put", "get")}
"""`rados bench` writing or reading 4 MiB objects from the same host, next to the S3 run."""

_BY_PROBE = {"storage.rbd_write": RBD_WRITE, "storage.health": STORAGE_HEALTH}


def observation_specs(probe: str) -> tuple[MetricSpec, ...]:
    """Every figure an observation of `probe` yields, in the order the catalogue lists them."""
    value = () if probe in PLAIN_PROBES else (CHANGES,)
    return (*AVAILABILITY, *value, *_BY_PROBE.get(probe, ()))


def observation_spec(probe: str, name: str) -> MetricSpec | None:
    return next((spec for spec in observation_specs(probe) if spec.name == name), None)


def event_key(kind: str) -> str:
    """`events.vip_moved`: the prefix of an event kind's figures."""
    return EVENTS_PREFIX + kind.replace("-", "_")


def event_spec(name: str) -> MetricSpec | None:
    return next((spec for spec in EVENT_FIGURES if spec.name == name), None)


def chaos_metric(observation: str, spec: MetricSpec) -> str:
    """The measurement name a trended observation figure has: `chaos.api.longest_unavailable_s`."""
    return f"{CHAOS_PREFIX}{observation}.{spec.name}"


def timed_from(clock: Clock) -> tuple[str, ...]:
    """Names of the figures whose seconds start at `clock` (every source)."""
    every = (*AVAILABILITY, CHANGES, *RBD_WRITE, *STORAGE_HEALTH, *EVENT_FIGURES)
    return tuple(spec.name for spec in every if spec.clock == clock)
