"""A storage figure judged twice: against min(link roofline, its twin now), and the twin against
the link (`harness.workloads.cephbench` says what a twin is)."""

from __future__ import annotations

from harness.metrics import MetricSpec
from harness.plugin import Measure
from harness.roofline import Ceiling
from harness.workloads.cephbench import Twin


def record_twin(measure: Measure, spec: MetricSpec, twin: Twin, ceiling: Ceiling) -> None:
    """The twin's figure beside the harness's, with the command a user would type to repeat it
    (its scratch name masked: the tags name the series, the same in every run)."""
    measure.figure(spec, twin.bandwidth_mib_s, ceiling=ceiling.mib_s, tool=twin.series_command,
                   where=twin.where)


def judge_against_twin(what: str, value: float, *, twin: Twin, ceiling: Ceiling, fraction: float,
                       twin_fraction: float) -> None:
    """The harness figure against min(link roofline, twin now), and the twin against the roofline.

    The first says the harness's tool gets what the cluster delivers now (a busy machine slows
    the twin too); the second, that what the cluster delivers is still of the link's order (a
    link shaped to a tenth slows both, and only this one sees it).
    """
    __tracebackhide__ = True
    bound = min(ceiling.mib_s, twin.bandwidth_mib_s)
    limit = "link roofline" if ceiling.mib_s <= twin.bandwidth_mib_s else f"twin `{twin.command}`"
    assert value >= fraction * bound, (
        f"{what}: {value:.1f} MiB/s is below {fraction:g} x {bound:.1f} = {fraction * bound:.1f} MiB/s "
        f"(bound by the {limit}; roofline {ceiling.mib_s:.1f}, bottleneck {ceiling.bottleneck}; "
        f"twin {twin.bandwidth_mib_s:.1f} from {twin.where})")
    assert twin.bandwidth_mib_s >= twin_fraction * ceiling.mib_s, (
        f"{what}: the cluster itself delivers only {twin.bandwidth_mib_s:.1f} MiB/s "
        f"(`{twin.command}` from {twin.where}), below {twin_fraction:g} x the {ceiling.mib_s:.1f} MiB/s "
        f"roofline (bottleneck {ceiling.bottleneck})")
