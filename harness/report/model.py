"""What the template receives: plain values, already scrubbed, formatted by the template only."""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.report.detect import Verdict


@dataclass(frozen=True)
class RunInfo:
    id: str
    index: int  # position among all runs, oldest first
    label: str | None
    target: str
    profile: str
    status: str
    started: str
    ended: str | None
    harness_version: str
    components: dict[str, str]


@dataclass(frozen=True)
class SuiteStatus:
    name: str
    status: str  # failed | passed | skipped
    counts: dict[str, int]
    duration_s: float


@dataclass(frozen=True)
class FailedCheck:
    nodeid: str
    outcome: str
    sentence: str  # what the check said, shown first
    context: str | None  # pytest's full report (arguments, source, locals), behind a toggle


@dataclass(frozen=True)
class Difference:
    what: str
    before: str
    after: str


@dataclass(frozen=True)
class Glance:
    run: RunInfo
    previous: RunInfo | None
    suites: list[SuiteStatus]
    failures: list[FailedCheck]
    changes: list[Difference]  # components, profile and target against the previous run


@dataclass(frozen=True)
class Mark:
    x: float
    kind: str  # regression | improvement | version
    title: str


@dataclass(frozen=True)
class Spark:
    width: int
    height: int
    path: str  # SVG path data, drawn from the values (no HTML)
    marks: list[Mark]
    last: tuple[float, float] | None
    low: float
    high: float


@dataclass(frozen=True)
class SeriesRow:
    series: str
    metric: str
    unit: str
    higher_is_better: bool
    latest: float | None
    ceiling: float | None
    pct_of_ceiling: float | None
    baseline: float | None
    change: float | None  # latest vs baseline, relative
    latest_flag: str  # regression | improvement | "" for the latest value alone
    verdict: Verdict
    spark: Spark
    runs: int
    events: list[str] = field(default_factory=list)  # change points, in words
    spread: float | None = None  # the latest run's own standard deviation over its samples

    @property
    def flag(self) -> str:
        """The worse of the history's verdict and the latest value's own flag."""
        if "regression" in (self.verdict.status, self.latest_flag):
            return "regression"
        if self.verdict.status != "ok":
            return self.verdict.status
        return self.latest_flag or "ok"


@dataclass(frozen=True)
class MetricValue:
    series: str
    value: float
    unit: str
    ceiling: float | None
    pct_of_ceiling: float | None
    higher_is_better: bool


@dataclass(frozen=True)
class Chart:
    series: str
    png_base64: str
