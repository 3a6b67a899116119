"""Run files written the way a session writes them: the plugin's Measure, the chaos runner's
rows, RunRecorder and merge_run; nothing hand-written as JSON."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from harness.chaos.expressions import evaluate, parse_expectation
from harness.chaos.journal import JournalEntry
from harness.chaos.metrics import observation_metrics, observation_result
from harness.chaos.model import ObserveProbe
from harness.chaos.result import ScenarioResult
from harness.chaos.rows import result_rows
from harness.plugin.fixtures import Measure
from harness.probes import Sample
from harness.profile import Profile, load_profile
from harness.results import RunMeta, RunRecorder, merge_run, new_run_id, start_run, utc_now_iso
from harness.results.records import RunStatus
from harness.targets.base import Event
from harness.workloads.iperf3 import Iperf3Result
from suites.network import test_throughput as throughput

REPO = Path(__file__).resolve().parents[2]
LAB: Profile = load_profile(REPO / "profiles" / "lab.yaml")
T0 = 1_760_000_000.0  # epoch seconds: probe times are on the wall clock
FAULT_AT = T0 + 10.0
EXPECTATIONS = ("api.longest_unavailable_s <= 5", "api.availability_pct >= 95")


def write_run(runs_dir: Path, record: Callable[[RunRecorder], None], *,
              status: RunStatus = "failed") -> str:
    meta = RunMeta(id=new_run_id(), target="lab://lab", profile=LAB.name, harness_version="test",
                   started=utc_now_iso())
    start_run(runs_dir, meta)
    recorder = RunRecorder(runs_dir, meta.id, "controller")
    try:
        record(recorder)
    finally:
        recorder.close()
    meta.status, meta.ended = status, utc_now_iso()
    merge_run(runs_dir, meta)
    return meta.id


def record_goodput(recorder: RunRecorder, goodput: dict[tuple[str, str], float]) -> None:
    """Run the suite's node-to-node and pod-to-pod tests (suites/network/test_throughput.py itself:
    the matrix must read what it records) against a target whose iperf3 answers
    `goodput[(sender, receiver)]` (node names; pods are named `iperf-<node>`)."""

    def iperf3(*, client: Any, server: Any, seconds: float) -> Iperf3Result:
        sender, receiver = (getattr(end, "name", end) for end in (client, server))
        rate = goodput[(sender.removeprefix("iperf-"), receiver.removeprefix("iperf-"))]
        return Iperf3Result(sender, receiver, seconds, rate, rate, retransmits=3)

    target = SimpleNamespace(network=SimpleNamespace(iperf3=iperf3, link_twin=lambda seconds: None))
    nodes = sorted({n for pair in goodput for n in pair})
    pods = {n: SimpleNamespace(name=f"iperf-{n}") for n in nodes}
    for pair in goodput:
        a, b = pair
        seconds = throughput.QUICK_S
        first = {pair: iperf3(client=a, server=b, seconds=seconds)}
        throughput.test_node_to_node_goodput(target, LAB, Measure(recorder, "n2n"), pair, first, seconds)
        first = {pair: iperf3(client=pods[a], server=pods[b], seconds=seconds)}
        throughput.test_pod_to_pod_goodput(target, LAB, Measure(recorder, "p2p"), pods, pair, first, seconds)


def outage_samples(outage_s: float = 3.0, rate_hz: float = 20.0, timeout_s: float = 0.5) -> list[Sample]:
    """20 s of samples with one outage at the fault: one sample in flight, so while the API is
    down each failed call takes its whole timeout and fewer samples fail than time passes."""
    samples, at = [], T0
    while at < T0 + 20.0:
        down = FAULT_AT <= at < FAULT_AT + outage_s
        samples.append(Sample(at, not down, timeout_s if down else 0.004, "timeout" if down else None))
        at += timeout_s if down else 1 / rate_hz
    return samples


def power_loss_result(*, deviated: bool = False) -> ScenarioResult:
    """A scenario result as the runner assembles it, judged by the runner's own evaluate()."""
    observation = observation_result("api", ObserveProbe.API_ROUNDTRIP, 20.0, outage_samples(),
                                     fault_at=FAULT_AT)
    metrics = observation_metrics(observation)
    journal = (JournalEntry("steady-state", T0 - 2, T0, "ok"),
               JournalEntry("power_off cp1", FAULT_AT, FAULT_AT + 0.2, "ok"),
               JournalEntry("rollback: power_on cp1", T0 + 20, T0 + 24, "ok"))
    return ScenarioResult(
        title="VIP holder power loss", source="scenarios/power-loss.yaml", target="lab",
        status="completed", deviated=deviated, started=T0 - 2, ended=T0 + 24, journal=journal,
        fault_at=FAULT_AT, observations=(observation,), metrics=metrics,
        expectations=tuple(evaluate(parse_expectation(t), metrics=metrics, profile=LAB)
                           for t in EXPECTATIONS),
        events=(Event(FAULT_AT, "power-off", "cp1", "lab power off"),))


def record_scenario(recorder: RunRecorder, result: ScenarioResult) -> None:
    for timeline in result_rows(result, nodeid="scenarios/power-loss.yaml::power-loss"):
        recorder.timeline(timeline)
